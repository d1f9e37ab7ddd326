"""The beneficiaries' web portal (Django): statements, grievances and their ledger receipts.

Nothing here is imported by the rest of payproof: Django is loaded only by the portal
commands (``payproof serve``, ``payproof portal ...``) through
:func:`payproof.portal.setup.configure`.
"""
