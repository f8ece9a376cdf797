"""The study data model, one module per concern."""

from .batches import AnswerField, Batch, HitDesign, Question, Questionnaire
from .operations import WorkerHeartbeat
from .statements import Dataset, ExpertLevel, Statement
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
    "AnswerField",
    "Assignment",
    "Attempt",
    "Batch",
    "BehaviourEvent",
    "Dataset",
    "ExpertLevel",
    "HitDesign",
    "Judgment",
    "JudgmentValue",
    "Question",
    "Questionnaire",
    "QuestionnaireAnswer",
    "Statement",
    "Worker",
    "WorkerHeartbeat",
]
