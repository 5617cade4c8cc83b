"""Per-batch caches of the offline sync (VisitLookups)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ...extensions import db
from ...models import Company, Customer, DailyPlan, DailyPlanItem, ProductLine, Stage, User


@dataclass
class VisitLookups:
    """Per-batch caches (offline sync): the company, its active stages and product lines
    are looked up once per batch instead of once per visit. Optional everywhere."""

    company: Company | None = None
    stages: dict[str, Stage] | None = None  # code and str(id) -> active stage
    products: dict[str, int] | None = None  # code -> id of the active product lines
    lead_stage: Stage | None = None
    # Strong references: the session's identity map is weak, so a customer looked up
    # while validating would otherwise be loaded again by record_visit.
    customers: dict[int, Customer] = field(default_factory=dict)
    # (user id, day) -> {customer id: the open planned visit}, loaded once per day
    plan_items: dict[tuple[int, date], dict[int, DailyPlanItem]] = field(default_factory=dict)

    def customer(self, customer_id: int) -> Customer | None:
        if customer_id not in self.customers:
            # A customer is found by id only once it is stored (a lead made earlier in the
            # batch has its id from a flush): no flush of the batch's pending visits here,
            # so they go in together, batched, at the end.
            with db.session.no_autoflush:
                c = db.session.get(Customer, customer_id)
            if c is None:
                return None
            self.customers[customer_id] = c
        return self.customers[customer_id]

    def open_plan_items(self, user_id: int, day: date) -> dict[int, DailyPlanItem]:
        key = (user_id, day)
        if key not in self.plan_items:
            self.plan_items[key] = {
                item.customer_id: item for item in db.session.scalars(
                    select(DailyPlanItem).join(DailyPlan).where(
                        DailyPlan.user_id == user_id, DailyPlan.day == day,
                        DailyPlanItem.visit_id.is_(None)))
            }
        return self.plan_items[key]

    def get_company(self, user: User) -> Company:
        company = user.company
        if self.company is None or self.company.id != company.id:
            self.company = company
            self.stages = self.products = self.lead_stage = None
        return company

    def stage(self, company_id: int, code_or_id: str) -> Stage | None:
        if self.stages is None:
            self.stages = {}
            for st in db.session.scalars(select(Stage).where(
                    Stage.company_id == company_id, Stage.active.is_(True))):
                self.stages[st.code] = st
                self.stages[str(st.id)] = st
        return self.stages.get(code_or_id)

    def product_lines(self, company_id: int) -> dict[str, int]:
        if self.products is None:
            self.products = active_product_lines(company_id)
        return self.products


def active_product_lines(company_id: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(ProductLine.code, ProductLine.id).where(
            ProductLine.company_id == company_id, ProductLine.active.is_(True))
    ).all())
