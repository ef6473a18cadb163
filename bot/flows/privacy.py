"""/privacy and /settings: what is kept about a person, and their say over it.

One consent covers everything a person writes for keeping (journal answers, reflection answers,
check-in notes). It is asked once, where it first matters (the journal), and changed here at any
time; withdrawing it deletes what was kept under it, because consent that leaves the data behind
is not withdrawn.
"""

from __future__ import annotations

from bot.flows import Flow
from bot.payloads import Keep, Payload
from bot.replies import Button, Reply
from bot.texts import text


class Privacy(Flow):
    name = "privacy"
    payloads = (Keep,)

    def explain(self) -> list[Reply]:
        days = {"event_days": self.options.keep_events_days}
        days["inactive_days"] = self.options.keep_inactive_days
        return [Reply(text("privacy").format(**days))]

    async def show(self, user_id: int) -> list[Reply]:
        consent = await self.store.writing_consent(user_id)
        schedule = await self.store.schedule(user_id)
        country = await self.store.country(user_id)
        if schedule and schedule.get("at") and schedule.get("days"):
            reminder = text(
                "settings_reminder_paused" if schedule["paused"] else "settings_reminder"
            )
            reminder = reminder.format(at=schedule["at"], zone=schedule["zone"] or "UTC")
        else:
            reminder = text("settings_reminder_off")
        keeping = {
            True: "settings_keep_on",
            False: "settings_keep_off",
            None: "settings_keep_unset",
        }
        body = text("settings").format(
            keeping=text(keeping[consent]),
            reminder=reminder,
            country=country or text("settings_country_unset"),
        )
        toggle = (
            Button(text("settings_stop_keeping"), Keep("no").pack())
            if consent
            else Button(text("settings_start_keeping"), Keep("yes").pack())
        )
        return [Reply(body, (toggle,))]

    async def on_payload(self, user_id: int, payload: Payload) -> list[Reply]:
        if not isinstance(payload, Keep):
            return []
        if payload.answer == "yes":
            await self.store.set_writing_consent(user_id, True)
            return [Reply(text("settings_kept"))]
        await self.store.set_writing_consent(user_id, False)
        await self.store.forget_writing(user_id)
        return [Reply(text("settings_not_kept"))]
