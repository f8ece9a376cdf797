"""factory_boy factories for the study data model."""

import factory
from django.contrib.auth import get_user_model

from assessments import models, scales
from assessments.services.studies import IPM2021_GATES


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"researcher{n}")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Dataset
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = "politifact"

    @factory.post_generation
    def levels(self, create, extracted, **kwargs):
        labels = extracted or scales.KNOWN_EXPERT_SCALES.get(self.name, ("low", "mid", "high"))
        for ordinal, label in enumerate(labels):
            models.ExpertLevel.objects.get_or_create(dataset=self, ordinal=ordinal, label=label)


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Statement

    dataset = factory.SubFactory(DatasetFactory)
    external_id = factory.Sequence(lambda n: f"ST{n}")
    text = factory.Faker("sentence")
    speaker = factory.Faker("name")
    year = 2014
    expert_level = factory.LazyAttribute(lambda o: o.dataset.levels.order_by("?").first())


class GoldStatementFactory(StatementFactory):
    dataset = factory.SubFactory(DatasetFactory, name="gold", levels=("gold",))
    external_id = "HIGH"
    expert_level = None
    is_gold = True
    gold_truth = models.Statement.GoldTruth.HIGH


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Batch

    slug = factory.Sequence(lambda n: f"batch-{n}")
    title = factory.LazyAttribute(lambda o: f"Batch {o.slug}")
    owner = factory.SubFactory(UserFactory)


class AnswerFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.AnswerField

    batch = factory.SubFactory(BatchFactory)
    slug = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda o: o.slug.replace("_", " ").title())
    position = factory.Sequence(lambda n: n)
    scale = factory.LazyFunction(
        lambda: [{"value": v, "label": label} for v, label in scales.AGREEMENT_5]
    )


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Worker

    platform = models.Worker.Platform.LINK
    platform_id = factory.Sequence(lambda n: f"W{n:05d}")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Assignment

    batch = factory.SubFactory(BatchFactory)
    worker = factory.SubFactory(WorkerFactory)


class AttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Attempt

    assignment = factory.SubFactory(AssignmentFactory)
    number = 1


class JudgmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Judgment

    attempt = factory.SubFactory(AttemptFactory)
    statement = factory.SubFactory(StatementFactory)
    position = factory.Sequence(lambda n: n % 30000)


# The study's gates without the evidence gate, whose SERP log needs a loaded search corpus: for
# tests that are not about that gate.
GATES_WITHOUT_SEARCH = [gate for gate in IPM2021_GATES if gate["name"] != "evidence_from_serp"]
