"""Reference data shared by several packages (surnames); imports nothing from piguard.

Data that more than one package needs lives here rather than in one of them, so that
each can read it without reaching into another's internals.
"""
