"""The customer privacy centre (issue 18): sign-in by one-time code, the customer's own data,
consents, requests and access history, each action through the gate as the customer."""

from piguard.privacy.capability import OPERATIONS, Privacy, Session, SignIn

__all__ = ["OPERATIONS", "Privacy", "Session", "SignIn"]
