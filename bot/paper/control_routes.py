"""``/paper/v1/...``: the control surface over HTTP (JSON in, JSON out, no signature)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from bot.paper import errors
from bot.paper.control import PaperControl


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status=status,
                    content_type="application/json")


class ControlRoutes:
    def __init__(self, control: PaperControl) -> None:
        self.control = control

    def handle(self, request: Request) -> Response:
        name = request.path.removeprefix("/paper/v1/").strip("/")
        handler = getattr(self, f"_{request.method.lower()}_{name}", None)
        if handler is None:
            return _json({"error": f"unknown control endpoint {request.method} {request.path}"},
                         404)
        try:
            args = self._args(request)
            return _json(handler(args))
        except (ValueError, TypeError, KeyError) as exc:
            return _json({"error": str(exc)}, 400)
        except errors.PaperError as exc:
            return _json(exc.body(), exc.http_status)

    @staticmethod
    def _args(request: Request) -> dict:
        args: dict = dict(request.args)
        if request.method != "GET" and request.get_data():
            if request.is_json:
                body = json.loads(request.get_data(as_text=True))
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                args.update(body)
            else:
                args.update(request.form)
        return args

    def _get_state(self, a: dict) -> dict:
        return self.control.state()

    def _post_price(self, a: dict) -> dict:
        return self.control.set_price(a["symbol"], a["price"], a.get("mark"))

    def _post_advance(self, a: dict) -> dict:
        return {"time": self.control.advance(int(a["ms"]))}

    def _post_fault(self, a: dict) -> dict:
        fault = self.control.inject_fault(
            method=str(a["method"]), path=str(a["path"]), kind=str(a.get("kind", "error")),
            count=int(a.get("count", 1)),
            code=int(a["code"]) if a.get("code") is not None else None, msg=a.get("msg"),
            status=int(a["status"]) if a.get("status") is not None else None,
            delay_s=float(a.get("delay_s", 0.0)),
            reached_engine=str(a.get("reached_engine", "false")).lower() == "true",
            preset=a.get("preset") or None,
        )
        return fault.to_json()

    def _delete_fault(self, a: dict) -> dict:
        self.control.clear_faults()
        return {}

    def _post_trigger_fault(self, a: dict) -> dict:
        return self.control.trigger_fault(
            str(a["kind"]), symbol=a.get("symbol") or None, count=int(a.get("count", 1)),
            reason=a.get("reason") or None)

    def _post_trigger_delay(self, a: dict) -> dict:
        return {"ms": self.control.set_trigger_delay(int(a["ms"]))}

    def _post_read_lag(self, a: dict) -> dict:
        return {"ms": self.control.set_read_lag(int(a["ms"]))}

    def _post_stream_fault(self, a: dict) -> dict:
        return self.control.stream_fault(str(a["kind"]), count=int(a.get("count", 1)),
                                         delay_ms=int(a.get("delay_ms", 0)))

    def _post_expire_listen_key(self, a: dict) -> dict:
        return {"expired": self.control.expire_listen_key(a.get("listenKey") or None)}

    def _post_ban(self, a: dict) -> dict:
        return self.control.ban(int(a["seconds"]))

    def _post_ban_policy(self, a: dict) -> dict:
        after = a.get("after")
        return self.control.set_ban_policy(
            int(after) if after is not None else None, window_s=int(a.get("window_s", 60)),
            ban_s=int(a.get("ban_s", 120)))

    def _post_filters(self, a: dict) -> dict:
        cap = a.get("maxAlgoOrders")
        return self.control.set_filters(
            str(a["symbol"]), tick_size=a.get("tickSize"), step_size=a.get("stepSize"),
            max_algo_orders=int(cap) if cap is not None else None,
            market_max_qty=a.get("marketMaxQty"))

    def _post_symbol_status(self, a: dict) -> dict:
        return self.control.set_symbol_status(str(a["symbol"]), str(a["status"]))

    def _post_switches(self, a: dict) -> dict:
        def flag(name: str) -> bool | None:
            raw = a.get(name)
            if raw is None:
                return None
            if str(raw).lower() not in ("true", "false"):
                raise ValueError(f"{name} must be true or false, got {raw!r}")
            return str(raw).lower() == "true"

        return self.control.set_switches(flag("marginBrackets"), flag("liquidationFee"),
                                         flag("marketPriceProtection"))

    def _post_silent_cancel(self, a: dict) -> dict:
        return self.control.silent_cancel(int(a["algoId"]))

    def _get_ledger(self, a: dict) -> list:
        return [e.to_json() for e in self.control.ledger(int(a.get("since_id", 0)))]

    def _post_time_offset(self, a: dict) -> dict:
        self.control.set_time_offset(int(a["ms"]))
        return {"offsetMs": int(a["ms"])}

    def _post_reset(self, a: dict) -> dict:
        self.control.reset()
        return {}
