"""Account, balance and position endpoints (v2 and v3 shapes); position and asset modes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.paper import errors, parsing, wire
from bot.paper.model import ZERO
from bot.paper.position_mode import row_side

Params = dict[str, str]


def _n(value: Decimal) -> str:
    return f"{value:.8f}"


def _position_row(engine: Any, symbol: str, totals: tuple[Decimal, Decimal]) -> dict:
    account = engine.account
    pos = account.positions.get(symbol)
    amount = pos.amount if pos else ZERO
    entry = pos.entry_price if pos else ZERO
    mark = engine.mark[symbol]
    spec = engine.specs[symbol]
    initial = account.position_margin(symbol, mark)
    return {
        "symbol": symbol, "positionSide": row_side(account.dual_side, amount),
        "positionAmt": wire.num(amount, spec.quantity_precision) if amount else "0",
        "entryPrice": wire.num(entry) if entry else "0.0",
        "breakEvenPrice": wire.num(entry) if entry else "0.0",
        "markPrice": wire.num(mark, 8), "unRealizedProfit": _n(account.unrealized(symbol, mark)),
        "liquidationPrice": wire.num(account.liquidation_price(symbol, engine.mark, totals), 8)
        if amount else "0",
        "isolatedMargin": "0", "notional": _n(amount * mark), "marginAsset": "USDT",
        "isolatedWallet": "0", "initialMargin": _n(initial), "maintMargin":
        _n(account.maint_margin(symbol, mark)), "positionInitialMargin": _n(initial),
        "openOrderInitialMargin": "0", "adl": 0, "bidNotional": "0", "askNotional": "0",
        "updateTime": pos.update_ms if pos else 0,
        "_leverage": account.leverage_of(symbol), "_maxNotional": str(spec.max_qty * mark),
    }


def _wanted(engine: Any, p: Params, only_active: bool) -> list[str]:
    symbol = parsing.symbol(p, required=False)
    if symbol is not None:
        engine.spec(symbol)
        names = [symbol]
    else:
        names = list(engine.specs)
    if not only_active:
        return names
    open_books = {o.symbol for b in engine._resting.values() for o in b.values()}
    open_books |= {a.symbol for b in engine._armed.values() for a in b.values()}
    return [s for s in names if engine.account.amount(s) != 0 or s in open_books]


def position_risk_v3(ctx: Any, p: Params) -> list:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        totals = engine.account.cross_totals(engine.mark)
        rows = [_position_row(engine, s, totals) for s in _wanted(engine, p, only_active=True)]
    for row in rows:
        row.pop("_leverage")
        row.pop("_maxNotional")
    return rows


def position_risk_v2(ctx: Any, p: Params) -> list:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        totals = engine.account.cross_totals(engine.mark)
        rows = [_position_row(engine, s, totals) for s in _wanted(engine, p, only_active=False)]
    out = []
    for row in rows:
        out.append({
            "symbol": row["symbol"], "positionAmt": row["positionAmt"],
            "entryPrice": row["entryPrice"], "breakEvenPrice": row["breakEvenPrice"],
            "markPrice": row["markPrice"], "unRealizedProfit": row["unRealizedProfit"],
            "liquidationPrice": row["liquidationPrice"], "leverage": str(row["_leverage"]),
            "maxNotionalValue": row["_maxNotional"], "marginType": "cross",
            "isolatedMargin": "0.00000000", "isAutoAddMargin": "false",
            "positionSide": row["positionSide"], "notional": row["notional"],
            "isolatedWallet": "0", "updateTime": row["updateTime"],
        })
        if engine.account.dual_side:  # hedge mode lists both sides; the other one is empty
            out.append({**out[-1], "positionSide": "SHORT" if row["positionSide"] == "LONG"
                        else "LONG", "positionAmt": "0", "entryPrice": "0.0",
                        "breakEvenPrice": "0.0", "unRealizedProfit": "0.00000000",
                        "liquidationPrice": "0", "notional": "0"})
    return out


def _totals(engine: Any) -> dict[str, str]:
    t = engine.totals()
    return {k: _n(v) for k, v in t.items()}


def balance(ctx: Any, p: Params) -> list:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        t = _totals(engine)
        now = engine.now_ms()
    return [{
        "accountAlias": "SgsR", "asset": "USDT", "balance": t["wallet"],
        "crossWalletBalance": t["wallet"], "crossUnPnl": t["upnl"],
        "availableBalance": t["available"], "maxWithdrawAmount": t["available"],
        "marginAvailable": True, "updateTime": now,
    }]


def _asset(t: dict[str, str], now: int) -> dict:
    return {
        "asset": "USDT", "walletBalance": t["wallet"], "unrealizedProfit": t["upnl"],
        "marginBalance": t["margin_balance"], "maintMargin": t["maint"],
        "initialMargin": t["initial"], "positionInitialMargin": t["initial"],
        "openOrderInitialMargin": t["open_order_margin"], "crossWalletBalance": t["wallet"],
        "crossUnPnl": t["upnl"], "availableBalance": t["available"],
        "maxWithdrawAmount": t["available"], "marginAvailable": True, "updateTime": now,
    }


def _header(t: dict[str, str]) -> dict:
    return {
        "totalInitialMargin": t["initial"], "totalMaintMargin": t["maint"],
        "totalWalletBalance": t["wallet"], "totalUnrealizedProfit": t["upnl"],
        "totalMarginBalance": t["margin_balance"], "totalPositionInitialMargin": t["initial"],
        "totalOpenOrderInitialMargin": t["open_order_margin"],
        "totalCrossWalletBalance": t["wallet"], "totalCrossUnPnl": t["upnl"],
        "availableBalance": t["available"], "maxWithdrawAmount": t["available"],
    }


def account_v2(ctx: Any, p: Params) -> dict:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        t = _totals(engine)
        now = engine.now_ms()
        cross = engine.account.cross_totals(engine.mark)
        rows = [_position_row(engine, s, cross) for s in engine.specs]
    positions = [{
        "symbol": r["symbol"], "initialMargin": r["initialMargin"],
        "maintMargin": r["maintMargin"], "unrealizedProfit": r["unRealizedProfit"],
        "positionInitialMargin": r["positionInitialMargin"], "openOrderInitialMargin": "0",
        "leverage": str(r["_leverage"]), "isolated": False, "entryPrice": r["entryPrice"],
        "breakEvenPrice": r["breakEvenPrice"], "maxNotional": r["_maxNotional"],
        "bidNotional": "0", "askNotional": "0", "positionSide": r["positionSide"],
        "positionAmt": r["positionAmt"], "updateTime": r["updateTime"],
    } for r in rows]
    return {"feeTier": 0, "feeBurn": False, "canTrade": True, "canDeposit": True,
            "canWithdraw": True, "updateTime": 0,
            "multiAssetsMargin": engine.account.multi_assets, "tradeGroupId": -1,
            **_header(t), "assets": [_asset(t, now)], "positions": positions}


def account_v3(ctx: Any, p: Params) -> dict:
    engine = ctx.engine
    with engine.lock:
        engine.sync()
        t = _totals(engine)
        now = engine.now_ms()
        cross = engine.account.cross_totals(engine.mark)
        rows = [_position_row(engine, s, cross) for s in engine.account.open_symbols()]
    positions = [{
        "symbol": r["symbol"], "positionSide": r["positionSide"], "positionAmt": r["positionAmt"],
        "unrealizedProfit": r["unRealizedProfit"], "isolatedMargin": "0",
        "notional": r["notional"], "isolatedWallet": "0", "initialMargin": r["initialMargin"],
        "maintMargin": r["maintMargin"], "updateTime": r["updateTime"],
    } for r in rows]
    return {**_header(t), "assets": [_asset(t, now)], "positions": positions}


def _flag(p: Params, name: str) -> bool:
    raw = parsing.text(p, name, required=True)
    if raw not in ("true", "false"):
        raise errors.invalid_data(name)
    return raw == "true"


def position_mode_get(ctx: Any, p: Params) -> dict:
    return {"dualSidePosition": ctx.engine.account.dual_side}


def position_mode_set(ctx: Any, p: Params) -> dict:
    ctx.engine.set_position_mode(_flag(p, "dualSidePosition"))
    return {"code": 200, "msg": "success"}


def multi_assets_get(ctx: Any, p: Params) -> dict:
    return {"multiAssetsMargin": ctx.engine.account.multi_assets}


def multi_assets_set(ctx: Any, p: Params) -> dict:
    ctx.engine.set_multi_assets(_flag(p, "multiAssetsMargin"))
    return {"code": 200, "msg": "success"}
