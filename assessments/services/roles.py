"""The researcher role: a group with exactly the permissions researchers need."""

from django.contrib.auth.models import Group, Permission

RESEARCHER_GROUP = "researchers"

# Researchers design and run studies: they edit configuration and statements, read (never edit)
# what workers produced, and manage workers' block status.
_EDIT = [
    "dataset",
    "expertlevel",
    "statement",
    "batch",
    "answerfield",
    "questionnaire",
    "question",
    "hitdesign",
]
_VIEW_ONLY = [
    "assignment",
    "attempt",
    "judgment",
    "judgmentvalue",
    "questionnaireanswer",
    "behaviourevent",
    "entryvisit",
    "workerheartbeat",
    "statementaggregate",
    "agreementresult",
    "crowdexpertresult",
    "assignmentaggregation",
    "hitslot",
    "pageserve",
    "dashboardsnapshot",
    "workersummary",
    # search app: the research logs and the evidence corpus
    "searchquery",
    "searchresult",
    "resultclick",
    "evidenceselection",
    "document",
]
_VIEW_CHANGE = ["worker", "batchanalysis"]


def researcher_permission_codenames() -> set[str]:
    """Return the codenames of every permission the researcher group holds."""
    codenames = {
        f"{action}_{model}" for model in _EDIT for action in ("add", "change", "delete", "view")
    }
    codenames |= {f"view_{model}" for model in _VIEW_ONLY}
    codenames |= {f"{action}_{model}" for model in _VIEW_CHANGE for action in ("view", "change")}
    return codenames


def researcher_group_sync() -> Group:
    """Create or update the researcher group so it holds exactly the researcher permissions."""
    group, _ = Group.objects.get_or_create(name=RESEARCHER_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label__in=["assessments", "search"],
        codename__in=researcher_permission_codenames(),
    )
    group.permissions.set(permissions)
    return group
