from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from qualify.accounts import policy


@login_required
def home(request):
    """Each role's start page: the administrator manages users; anyone who trains
    (employees, trainers and the other roles that sign) starts at their training."""
    user = request.user
    if user.has_perm("accounts.manage_accounts"):
        return redirect("web:admin_users")
    if user.has_perm("signatures.sign_read_and_understood") and hasattr(user, "person"):
        return redirect("web:employee_training")
    # The role names the access policy read for this request already.
    return render(request, "web/home.html", {"roles": sorted(policy.user_roles(user))})
