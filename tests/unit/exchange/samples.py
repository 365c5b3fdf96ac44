"""Wire samples written by hand from Binance's documented response shapes (BINANCE_FACTS.md)."""

from __future__ import annotations

EXCHANGE_INFO = {
    "timezone": "UTC",
    "serverTime": 1767225600000,
    "symbols": [
        {
            "symbol": "ATOMUSDT",
            "status": "TRADING",
            "pricePrecision": 3,
            "quantityPrecision": 2,
            "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                           "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.0010", "maxPrice": "200000",
                 "tickSize": "0.0010"},
                {"filterType": "LOT_SIZE", "minQty": "0.01", "maxQty": "1000000",
                 "stepSize": "0.01"},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0.01", "maxQty": "50000",
                 "stepSize": "0.10"},
                {"filterType": "MIN_NOTIONAL", "notional": "5"},
                {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500",
                 "multiplierDown": "0.9500", "multiplierDecimal": "4"},
            ],
        },
        {
            "symbol": "BTCUSDT",
            "status": "TRADING",
            "pricePrecision": 2,
            "quantityPrecision": 3,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "556.80", "maxPrice": "4529764",
                 "tickSize": "0.10"},
                {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000",
                 "stepSize": "0.001"},
                {"filterType": "MIN_NOTIONAL", "notional": "100"},
            ],
        },
        {
            "symbol": "OLDUSDT",
            "status": "SETTLING",
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": "0.1"},
                {"filterType": "LOT_SIZE", "minQty": "1", "maxQty": "10", "stepSize": "1"},
            ],
        },
    ],
}

POSITION_RISK_V3 = [
    {
        "symbol": "ATOMUSDT", "positionSide": "BOTH", "positionAmt": "-12.50",
        "entryPrice": "2.5120", "breakEvenPrice": "2.5110", "markPrice": "2.49000000",
        "unRealizedProfit": "0.27500000", "liquidationPrice": "3.9812",
        "isolatedMargin": "0", "notional": "-31.12500000", "marginAsset": "USDT",
        "isolatedWallet": "0", "initialMargin": "3.1125", "maintMargin": "0.155",
        "positionInitialMargin": "3.11250000", "openOrderInitialMargin": "0",
        "adl": 2, "bidNotional": "0", "askNotional": "0", "updateTime": 1767225600123,
    },
    {
        "symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.000",
        "entryPrice": "0.0", "markPrice": "94000.00", "unRealizedProfit": "0.00000000",
        "liquidationPrice": "0", "notional": "0", "positionInitialMargin": "0",
        "updateTime": 0,
    },
    {
        "symbol": "BTCUSDT", "positionSide": "BOTH", "positionAmt": "0.010",
        "entryPrice": "93000.0", "markPrice": "94000.00", "unRealizedProfit": "10.00000000",
        "liquidationPrice": "0", "notional": "940.00", "positionInitialMargin": "188.00",
        "updateTime": 1767225600999,
    },
]

ALGO_ORDER_STOP = {
    "algoId": 2146760, "clientAlgoId": "qs-sl-ATOM-0123456789-0", "algoType": "CONDITIONAL",
    "orderType": "STOP_MARKET", "symbol": "ATOMUSDT", "side": "BUY", "positionSide": "BOTH",
    "timeInForce": "GTC", "quantity": "0", "algoStatus": "NEW", "actualOrderId": "",
    "actualPrice": "0.00000", "triggerPrice": "2.6380", "price": "0.000",
    "icebergQuantity": None, "selfTradePreventionMode": "EXPIRE_MAKER",
    "workingType": "MARK_PRICE", "priceMatch": "NONE", "closePosition": True,
    "priceProtect": False, "reduceOnly": False, "activatePrice": "", "callbackRate": "",
    "createTime": 1767225600500, "updateTime": 1767225600500, "triggerTime": 0,
    "goodTillDate": 0,
}

ALGO_ORDER_TRAILING_TRIGGERED = {
    "algoId": 2146761, "clientAlgoId": "qs-ts-ATOM-0123456789-1", "algoType": "CONDITIONAL",
    "orderType": "TRAILING_STOP_MARKET", "symbol": "ATOMUSDT", "side": "BUY",
    "positionSide": "BOTH", "quantity": "12.50", "algoStatus": "TRIGGERED",
    "actualOrderId": "987654", "triggerPrice": "0.000", "workingType": "MARK_PRICE",
    "closePosition": False, "reduceOnly": "true", "activatePrice": "2.4500",
    "callbackRate": "1.5", "createTime": 1767225600500, "updateTime": 1767225700500,
}

MARKET_ORDER_RESULT = {
    "orderId": 22542179, "symbol": "ATOMUSDT", "status": "FILLED",
    "clientOrderId": "qs-en-ATOM-0123456789-0", "price": "0", "avgPrice": "2.5120",
    "origQty": "12.50", "executedQty": "12.50", "cumQuote": "31.40", "timeInForce": "GTC",
    "type": "MARKET", "reduceOnly": False, "closePosition": False, "side": "SELL",
    "positionSide": "BOTH", "stopPrice": "0", "workingType": "CONTRACT_PRICE",
    "priceProtect": False, "origType": "MARKET", "updateTime": 1767225600100,
}

ACCOUNT_V2 = {
    "feeTier": 0, "canTrade": True, "totalInitialMargin": "3.11",
    "totalWalletBalance": "10000.00000000", "totalUnrealizedProfit": "10.27500000",
    "totalMarginBalance": "10010.27", "availableBalance": "9807.12000000",
    "assets": [], "positions": [],
}

PREMIUM_INDEX = [
    {"symbol": "ATOMUSDT", "markPrice": "2.49000000", "indexPrice": "2.4898",
     "lastFundingRate": "0.0001", "nextFundingTime": 1767240000000, "time": 1767225600000},
    {"symbol": "BTCUSDT", "markPrice": "94000.00000000", "indexPrice": "93990.1",
     "lastFundingRate": "0.0001", "nextFundingTime": 1767240000000, "time": 1767225600000},
]

KLINE_ROW = [1767225600000, "2.5000", "2.5200", "2.4800", "2.5100", "1234.56",
             1767229199999, "3100.2", 120, "600.1", "1500.5", "0"]
