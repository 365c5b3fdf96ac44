import logging

from bot.runtime.logs import RedactSecrets, RingBufferHandler


def test_secret_in_message_when_logged_then_redacted_in_buffer():
    buffer = RingBufferHandler(capacity=10)
    buffer.addFilter(RedactSecrets(["s3cr3t-value", "pw"]))
    logger = logging.getLogger("qs.test.redact")
    logger.propagate = False
    logger.addHandler(buffer)
    logger.setLevel(logging.INFO)
    try:
        logger.info("[SHIELD] signing with %s", "s3cr3t-value")
        logger.info("[OK] SL already exists for ATOMUSDT - keeping existing protection")
    finally:
        logger.removeHandler(buffer)
    lines = buffer.lines()
    assert [ln.text for ln in lines] == [
        "[OK] SL already exists for ATOMUSDT - keeping existing protection",
        "[SHIELD] signing with ****",
    ]


def test_ring_buffer_when_over_capacity_then_keeps_newest():
    buffer = RingBufferHandler(capacity=3)
    logger = logging.getLogger("qs.test.ring")
    logger.propagate = False
    logger.addHandler(buffer)
    logger.setLevel(logging.INFO)
    try:
        for i in range(5):
            logger.info("line %d", i)
    finally:
        logger.removeHandler(buffer)
    assert [ln.text for ln in buffer.lines()] == ["line 4", "line 3", "line 2"]


def test_secret_in_an_exception_when_logged_with_traceback_then_redacted():
    import io

    out = io.StringIO()
    console = logging.StreamHandler(out)
    console.addFilter(RedactSecrets(["s3cr3t-value"]))
    logger = logging.getLogger("qs.test.redact.exc")
    logger.propagate = False
    logger.addHandler(console)
    try:
        try:
            raise ConnectionError("login refused for password s3cr3t-value")
        except ConnectionError:
            logger.exception("[STORE] Connection failed")
        logger.warning("[STACK] here", stack_info=True)
    finally:
        logger.removeHandler(console)
    text = out.getvalue()
    assert "s3cr3t-value" not in text
    assert "login refused for password ****" in text and "Traceback" in text
