"""Data-subject rights: requests and complaints as tracked cases with a deadline clock (PIPL 44-50).

Built so far: the deadline clock (:mod:`piguard.rights.deadline`). The cases, identity
verification and fulfilment mount on the gate kernel next (issue 13).
"""
