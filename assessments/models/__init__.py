"""The study data model, one module per concern."""

from .allocation import HitSlot, PageServe
from .analysis import (
    AgreementResult,
    AssignmentAggregation,
    BatchAnalysis,
    CrowdExpertResult,
    StatementAggregate,
)
from .batches import AnswerField, Batch, HitDesign, Question, Questionnaire
from .dashboard import DashboardSnapshot, WorkerSummary
from .operations import WorkerHeartbeat
from .statements import Dataset, ExpertLevel, Statement
from .visits import EntryVisit
from .work import (
    Assignment,
    Attempt,
    BehaviourEvent,
    Judgment,
    JudgmentValue,
    QuestionnaireAnswer,
    Worker,
)

__all__ = [
    "AgreementResult",
    "AnswerField",
    "Assignment",
    "AssignmentAggregation",
    "Attempt",
    "Batch",
    "BatchAnalysis",
    "BehaviourEvent",
    "CrowdExpertResult",
    "DashboardSnapshot",
    "Dataset",
    "EntryVisit",
    "ExpertLevel",
    "HitDesign",
    "HitSlot",
    "Judgment",
    "JudgmentValue",
    "PageServe",
    "Question",
    "Questionnaire",
    "QuestionnaireAnswer",
    "Statement",
    "StatementAggregate",
    "Worker",
    "WorkerHeartbeat",
    "WorkerSummary",
]
