"""kazoo recipes against the server: Lock (mutual exclusion via a shared counter), Election
(leadership passes on), Barrier, DoubleBarrier, Queue and LockingQueue."""
import threading

from _common import WAIT_S, check, client, eq, run, unique_root

CONTENDERS = 4
ROUNDS = 5


def lock_recipe(root, clients):
    counter_path = root + "/counter"
    clients[0].create(counter_path, b"0")
    guard = threading.Lock()
    state = {"inside": 0, "max_inside": 0}
    errors = []

    def contend(c):
        try:
            lock = c.Lock(root + "/lock", identifier="c%d" % id(c))
            for _ in range(ROUNDS):
                with lock:
                    with guard:
                        state["inside"] += 1
                        state["max_inside"] = max(state["max_inside"], state["inside"])
                    value, _ = c.get(counter_path)  # read-modify-write without a version: safe only under the lock
                    c.set(counter_path, str(int(value) + 1).encode())
                    with guard:
                        state["inside"] -= 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=contend, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        check(not t.is_alive(), "lock contender hung")
    eq(errors, [], "lock contender errors")
    eq(state["max_inside"], 1, "at most one holder at a time")
    eq(int(clients[0].get(counter_path)[0]), CONTENDERS * ROUNDS, "no lost increments")
    eq(clients[0].get_children(root + "/lock"), [], "lock nodes cleaned up")


def election_recipe(root, clients):
    path = root + "/election"
    leaders = []
    cv = threading.Condition()
    release = {i: threading.Event() for i in range(len(clients))}

    def lead(i):
        with cv:
            leaders.append(i)
            cv.notify_all()
        release[i].wait(WAIT_S * 3)

    elections = [c.Election(path, "id-%d" % i) for i, c in enumerate(clients)]
    threads = [threading.Thread(target=e.run, args=(lead, i)) for i, e in enumerate(elections)]
    for t in threads:
        t.start()
    with cv:
        check(cv.wait_for(lambda: len(leaders) >= 1, WAIT_S), "no leader elected")
    with cv:
        check(cv.wait_for(lambda: len(elections[0].contenders()) == len(clients), WAIT_S),
              "all contenders registered: %r" % elections[0].contenders())
    first = leaders[0]
    eq(elections[0].contenders()[0], "id-%d" % first, "the leader is the first contender")
    release[first].set()  # the leader steps down; another takes over
    with cv:
        check(cv.wait_for(lambda: len(leaders) >= 2, WAIT_S), "leadership did not pass on")
    check(leaders[1] != first, "a different contender leads next")
    eq(len(leaders), 2, "exactly one leader at a time")
    for i, e in enumerate(elections):
        e.cancel()
        release[i].set()
    for t in threads:
        t.join(WAIT_S)
        check(not t.is_alive(), "election thread did not stop")


def barrier_recipe(root, clients):
    barrier_path = root + "/barrier"
    clients[0].Barrier(barrier_path).create()
    results = {}
    passed = threading.Event()

    def waiter(i, c):
        results[i] = c.Barrier(barrier_path).wait(WAIT_S * 2)
        passed.set()

    threads = [threading.Thread(target=waiter, args=(i, c)) for i, c in enumerate(clients[1:])]
    for t in threads:
        t.start()
    check(not passed.wait(0.5), "a waiter passed the barrier before it was removed")
    clients[0].Barrier(barrier_path).remove()
    for t in threads:
        t.join(WAIT_S * 2)
    eq(sorted(results.values()), [True] * (len(clients) - 1), "every waiter passes once removed")


def double_barrier_recipe(root, clients):
    path = root + "/double"
    n = len(clients)
    guard = threading.Lock()
    entered = {"count": 0}
    seen_on_enter = []
    errors = []

    def member(c):
        try:
            barrier = c.DoubleBarrier(path, n)
            with guard:
                entered["count"] += 1
            barrier.enter()
            with guard:
                seen_on_enter.append(entered["count"])
            barrier.leave()
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=member, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S * 3)
        check(not t.is_alive(), "double barrier member hung")
    eq(errors, [], "double barrier errors")
    eq(seen_on_enter, [n] * n, "nobody passes enter() before all members arrived")


def queue_recipe(root, clients):
    q = clients[0].Queue(root + "/queue")
    for item in (b"one", b"two", b"three"):
        q.put(item)
    eq(len(q), 3, "queue length")
    consumer = clients[1].Queue(root + "/queue")
    eq([consumer.get(), consumer.get(), consumer.get()], [b"one", b"two", b"three"], "FIFO order")
    eq(consumer.get(), None, "empty queue")

    lq = clients[0].LockingQueue(root + "/lqueue")
    lq.put(b"low", priority=100)
    lq.put(b"high", priority=1)
    lq.put_all([b"mid1", b"mid2"], priority=50)
    worker = clients[2].LockingQueue(root + "/lqueue")
    taken = []
    for _ in range(4):
        item = worker.get(WAIT_S)
        taken.append(item)
        check(worker.consume(), "consume after get")
    eq(taken, [b"high", b"mid1", b"mid2", b"low"], "priority order")
    eq(len(worker), 0, "locking queue drained")


def main():
    clients = [client() for _ in range(CONTENDERS)]
    try:
        root = unique_root(clients[0], "recipes")
        lock_recipe(root, clients)
        election_recipe(root, clients)
        barrier_recipe(root, clients)
        double_barrier_recipe(root, clients)
        queue_recipe(root, clients)
        clients[0].delete(root, recursive=True)
    finally:
        for c in clients:
            c.stop()
            c.close()


run(main)
