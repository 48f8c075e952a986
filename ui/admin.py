"""The Admin tab: the operator issues, limits, lists, revokes and exports tokens and reads today's use and the
audit log, from a phone if need be; and the hidden inputs behind the `/admin_*` endpoints. Shown only to admins
(ui/demo.py asks the studio). Layout and wiring only; the work is the studio's (ui/studio/admin.py)."""

from __future__ import annotations

import gradio as gr

from .components import JsonObject, PlannedNumber
from .studio import Studio

TOKEN_COLUMNS = ["Label", "Status", "Expires (UTC)", "Limits", "Used today (UTC)"]
AUDIT_COLUMNS = ["Time (UTC)", "Who", "Client", "Outcome"]


class AdminTab:
    def __init__(self, studio: Studio):
        self.studio = studio

    def build(self, access_token: gr.Textbox) -> None:
        actions = self.studio.admin
        gr.Markdown("Run this Space's gate: issue, list and revoke access tokens, see today's use and the audit "
                    "log. Every action here is written to the audit log.")
        with gr.Row():
            with gr.Column():
                label = gr.Textbox(label="Label (who the token is for)", max_length=64, elem_id="admin-label")
                with gr.Row():
                    daily_limit = gr.Number(label="Clips a day (0: no limit)", value=0, precision=0, minimum=0,
                                            elem_id="admin-daily-limit")
                    daily_seconds = gr.Number(label="Seconds a day (0: no limit)", value=0, minimum=0,
                                              elem_id="admin-daily-seconds")
                expires_in = gr.Textbox(label="Expires in (30d, 12h, 90m; empty: never)", elem_id="admin-expires-in")
                with gr.Row():
                    issue = gr.Button("Issue token", variant="primary", elem_id="admin-issue")
                    limits = gr.Button("Set limits and expiry", elem_id="admin-limits")
                issued = gr.Textbox(label="The new token: shown only this once", interactive=False,
                                    buttons=["copy"], elem_id="admin-issued")
            with gr.Column():
                revoke_label = gr.Textbox(label="Label to revoke", max_length=64, elem_id="admin-revoke-label")
                revoke = gr.Button("Revoke", variant="stop", elem_id="admin-revoke")
        refresh = gr.Button("Refresh", size="sm", elem_id="admin-refresh")
        tokens = gr.Dataframe(headers=TOKEN_COLUMNS, label="Tokens", interactive=False, elem_id="admin-tokens")
        audit = gr.Dataframe(headers=AUDIT_COLUMNS, label="Audit log, newest first", interactive=False,
                             elem_id="admin-audit")
        with gr.Accordion("Export the tokens", open=False):
            gr.Markdown("One line with every token's hash, label, limits and expiry (never a token): the "
                        "`REEL_TOKENS` secret of a Space without a database, or what another server merges.")
            export = gr.Button("Export", size="sm", elem_id="admin-export")
            exported = gr.Textbox(label="Export line", interactive=False, buttons=["copy"], elem_id="admin-exported")

        page = dict(api_visibility="private", concurrency_limit=None)
        issue.click(actions.issue_in_page, inputs=[label, daily_limit, daily_seconds, expires_in, access_token],
                    outputs=[issued, tokens], **page)
        limits.click(actions.limits_in_page, inputs=[label, daily_limit, daily_seconds, expires_in, access_token],
                     outputs=tokens, **page)
        revoke.click(actions.revoke_in_page, inputs=[revoke_label, access_token], outputs=tokens, **page)
        export.click(actions.export_in_page, inputs=access_token, outputs=exported, **page)
        refresh.click(actions.token_rows, inputs=access_token, outputs=tokens, **page).then(
            actions.audit_rows, inputs=access_token, outputs=audit, **page)

        # The API: hidden inputs carry the parameters; answers are JSON objects.
        with gr.Row(visible=False):
            api_label = gr.Textbox(value=None, label="label")  # no default: required
            api_limit = PlannedNumber(value=0, precision=0, label="daily_limit")
            api_seconds = PlannedNumber(value=0, label="daily_seconds")
            api_expires = gr.Textbox(value="", label="expires_in")
            api_days = PlannedNumber(value=1, precision=0, label="days")
            api_rows = PlannedNumber(value=50, precision=0, label="limit")
            admin_token = gr.Textbox(value="", label="admin_token", type="password")
            answer = JsonObject(label="answer")
            buttons = [gr.Button() for _ in range(6)]
        api = dict(concurrency_limit=None)
        buttons[0].click(actions.admin_issue, inputs=[api_label, api_limit, api_seconds, api_expires, admin_token],
                         outputs=answer, api_name="admin_issue", **api)
        buttons[5].click(actions.admin_limits, inputs=[api_label, api_limit, api_seconds, api_expires, admin_token],
                         outputs=answer, api_name="admin_limits", **api)
        buttons[1].click(actions.admin_tokens, inputs=admin_token, outputs=answer, api_name="admin_tokens", **api)
        buttons[2].click(actions.admin_revoke, inputs=[api_label, admin_token], outputs=answer,
                         api_name="admin_revoke", **api)
        buttons[3].click(actions.admin_usage, inputs=[api_days, admin_token], outputs=answer, api_name="admin_usage",
                         **api)
        buttons[4].click(actions.admin_audit, inputs=[api_rows, admin_token], outputs=answer, api_name="admin_audit",
                         **api)
