"""Ideas: citizens submit ideas to an ideas process, support or vote on them and discuss them;
moderators keep them clean, merge duplicates and say what became of each one.

This package holds the domain layer (models, permissions, services); its pages are added by the
routes of a later change, so nothing is registered with the application here.
"""
