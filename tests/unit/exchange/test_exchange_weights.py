import threading

from bot.exchange.weights import WeightTracker


def test_thread_request_count_when_two_threads_send_then_each_sees_its_own():
    tracker = WeightTracker()
    seen: dict[str, int] = {}

    def send(name: str, n: int) -> None:
        for _ in range(n):
            tracker.record("GET /fapi/v3/positionRisk", {"X-MBX-USED-WEIGHT-1M": "5"}, 5)
        seen[name] = tracker.thread_request_count

    workers = [threading.Thread(target=send, args=("monitor", 3)),
               threading.Thread(target=send, args=("executor", 7))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert seen == {"monitor": 3, "executor": 7}
    assert tracker.request_count == 10
    assert tracker.thread_request_count == 0  # this thread sent nothing
    assert tracker.used_weight == 5
