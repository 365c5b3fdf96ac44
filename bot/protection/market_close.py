"""Closing a position at market, in as many reduce-only orders as MARKET_LOT_SIZE demands.

Sizing keeps the bot's own positions within one market order, but another client
of the account (or a lowered maxQty) can grow one past it; a single close of the
whole would then be refused (QTY_GREATER_THAN_MAX_QTY) and leave it naked. Each
piece has its own client id (the first keeps the caller's, so a lost answer is
still found under it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain import Direction, Purpose, client_ids
from bot.domain.errors import ExchangeError, QuantityAboveMaxError, ReduceOnlyRejectedError
from bot.protection.ports import Exchange

_PIECE_SEQ = 100  # piece i of a close sent as seq base + 100 x i: ids stay within 4 digits
MAX_PIECES = 99


@dataclass(frozen=True)
class MarketClose:
    client_order_id: str  # the first piece's: the caller's own id
    executed_qty: Decimal
    avg_price: Decimal
    pieces: int  # orders the venue filled
    gone: ReduceOnlyRejectedError | None = None  # the venue found nothing (more) to reduce
    error: ExchangeError | None = None  # the piece that failed; earlier pieces stand


def close_at_market(exchange: Exchange, symbol: str, direction: Direction, quantity: Decimal,
                    purpose: Purpose, key: str, seq: int = 0) -> MarketClose:
    """Reduce-only market orders for ``quantity``, each within the symbol's maxQty.

    A piece refused as too large (the venue lowered maxQty since the filters were read;
    the adapter has re-read them by then) is cut again at the new limit. Stops at the
    first other refusal, or when the venue finds nothing left to reduce.
    """
    first = client_ids.make(purpose, symbol, key, seq)
    done = Decimal(0)
    cost = Decimal(0)
    filled = 0
    left = quantity

    def result(gone: ReduceOnlyRejectedError | None = None,
               error: ExchangeError | None = None) -> MarketClose:
        return MarketClose(first, done, _avg(cost, done), filled, gone, error)

    try:
        limit = exchange.filters(symbol).max_market_qty
    except ExchangeError as exc:
        return result(error=exc)
    for i in range(MAX_PIECES):
        if left <= 0:
            break
        piece = left if limit is None else min(left, limit)
        cid = first if i == 0 else client_ids.make(purpose, symbol, key, seq + _PIECE_SEQ * i)
        try:
            order = exchange.market_order(symbol, direction.closing_side, piece, cid,
                                          reduce_only=True)
        except ReduceOnlyRejectedError as exc:
            return result(gone=exc)
        except QuantityAboveMaxError as exc:
            smaller = _fresh_limit(exchange, symbol)
            if smaller is None or smaller >= piece:
                return result(error=exc)
            limit = smaller
            continue
        except ExchangeError as exc:
            return result(error=exc)
        filled += 1
        done += order.executed_qty
        cost += order.executed_qty * order.avg_price
        left -= order.executed_qty if order.executed_qty > 0 else piece
    return result()


def _fresh_limit(exchange: Exchange, symbol: str) -> Decimal | None:
    try:
        return exchange.filters(symbol).max_market_qty
    except ExchangeError:
        return None


def _avg(cost: Decimal, qty: Decimal) -> Decimal:
    return cost / qty if qty > 0 else Decimal(0)
