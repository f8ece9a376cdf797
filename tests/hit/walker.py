"""Drive a HIT through its HTTP pages like a browser without JavaScript (plain form posts)."""

import datetime
import re

from assessments.hit_selectors import assignment_pages
from assessments.hit_tokens import assignment_token_read
from assessments.models import Assignment, Question, Statement

CRT_ANSWERS = {"farmers": "3", "marks": "9", "athletics": "4"}


class HitWalker:
    def __init__(self, client, batch, clock, *, worker="W1", query=None):
        self.client, self.batch, self.clock = client, batch, clock
        self.query = query if query is not None else {"worker": worker}
        self.base = None

    def start(self):
        response = self.client.post(f"/hit/{self.batch.slug}/", {**self.query, "consent": "yes"})
        assert response.status_code == 302, response.content[:500]
        self.base = re.match(r"(/hit/[^/]+/w/[^/]+/)", response["Location"]).group(1)
        return response

    @property
    def assignment(self):
        token = self.base.rstrip("/").rsplit("/", 1)[1]
        return Assignment.objects.get(pk=assignment_token_read(token))

    def pages(self):
        return assignment_pages(self.assignment)

    def attempt_number(self):
        return self.assignment.attempts.order_by("-number").first().number

    def url(self, index):
        return f"{self.base}p/{index}/"

    def get(self, index):
        return self.client.get(self.url(index))

    def post(self, index, data, action="next", wait=3):
        self.clock.shift(datetime.timedelta(seconds=wait))
        return self.client.post(
            self.url(index), {"attempt": self.attempt_number(), "action": action, **data}
        )

    def answers_for(self, page, *, gold_ok=True, seed=0):
        if page.kind == "instructions" or page.kind == "final":
            return {}
        if page.kind == "questionnaire":
            data = {}
            for q in Question.objects.filter(questionnaire_id=page.questionnaire_id):
                data[f"q-{q.slug}"] = CRT_ANSWERS.get(q.slug, "0")
            return data
        statement = Statement.objects.get(pk=page.statement_id)
        data = {}
        for i, field in enumerate(self.batch.fields.order_by("position")):
            data[f"f-{field.slug}"] = str((page.position + i + seed) % 5 - 2)
        if statement.is_gold:
            high = 2 if gold_ok else -2
            value = high if statement.gold_truth == "high" else -high
            data[f"f-{self.batch.fields.get(is_gold_field=True).slug}"] = str(value)
        if self.batch.fields.filter(requires_evidence=True).exists():
            data["evidence_url"] = f"https://evidence.example/{page.position}"
        return data

    def walk_to_final(self, *, gold_ok=True, start=0):
        pages = self.pages()
        for page in pages[start:-1]:
            response = self.get(page.index)
            assert response.status_code == 200, (page, response.status_code)
            response = self.post(page.index, self.answers_for(page, gold_ok=gold_ok))
            assert response.status_code == 302, (page, response.content[:2000])
        return pages[-1].index

    def submit(self, comment=""):
        final = self.pages()[-1].index
        assert self.get(final).status_code == 200
        return self.post(final, {"comment": comment}, action="submit")
