"""The demo logins, printed by `make demo` and listed in the README."""

from qualify.accounts import roles

DEMO_PASSWORD = "Qualify-demo-2026!"

# (username, printed name, roles, what to try)
DEMO_USERS = [
    ("operator", "Olivia Ortega", [roles.EMPLOYEE], "sign a revised SOP, see my training"),
    ("trainer", "Tom Tran", [roles.EMPLOYEE, roles.TRAINER], "run a classroom session"),
    ("coordinator", "Chloe Chen", [roles.EMPLOYEE, roles.COORDINATOR], "keep the matrix"),
    ("doccontrol", "Dmitri Dubois", [roles.EMPLOYEE, roles.DOCUMENT_CONTROLLER], "revise an SOP"),
    ("qa", "Quinn Adebayo", [roles.EMPLOYEE, roles.QA_APPROVER, roles.TRAINER], "approve, train"),
    ("auditor", "Ada Inspector", [roles.AUDITOR], "ask: was this person qualified?"),
    ("admin", "Alex Admin", [roles.ADMINISTRATOR], "unlock accounts, manage users"),
]
