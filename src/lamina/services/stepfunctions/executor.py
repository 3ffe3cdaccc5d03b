"""The executor: runs executions' states on the event loop, durably for Standard workflows.

Each execution is one asyncio task. Waits (``Wait`` states, retry pauses, task timeouts) are
timers on the loop, never a thread: ten thousand waiting executions cost ten thousand sleeping
coroutines. Time is the service's ``Clock`` and ``rate`` (``LAMINA_CLOCK_RATE``) divides the
real pauses.

Durability (Standard): the history events of a step and the checkpoint that follows them are
written in one SQLite transaction (``Store.advance``) *before* the step's effect begins: before
a task is invoked, before a timer is armed, and when the execution ends. Pass and Choice
states have no effect outside the execution, so their events wait for the next write (an
execution of ten Pass states is one transaction, not ten). After a ``kill -9`` ``resume()``
runs every execution still ``RUNNING`` from its checkpoint, the top-level state it was in:

* a ``Wait`` sleeps what is left of it (the deadline is in the checkpoint);
* a ``Task`` whose invocation had begun has an unknown outcome: the attempt counts as failed
  with ``States.TaskFailed`` ("Lamina stopped while the task ran"), which its ``Retry`` retries
  (counting the attempts already made) or its ``Catch`` catches, as for any failure;
* a ``Parallel`` or ``Map`` keeps the branches (iterations) it finished, with their results,
  and runs the unfinished ones again from their start;
* states completed before the checkpoint are never run again.

A new Standard execution is inserted by its first write (with what it did before its first
effect, or all of it), and ``start`` returns only then: StartExecution answers what is stored.
Express executions keep nothing: no store, no history built, which is why they are fast.
``StopExecution`` cancels the task and records ``ExecutionAborted``. An execution that ends
other than SUCCEEDED keeps its last checkpoint, so ``redrive`` can run it again from the
top-level state it stopped in (entered afresh, after an ``ExecutionRedriven`` event; a Map or
Parallel there runs again only the branches, iterations, that did not succeed: the others keep
their results, as AWS's redrive does). How each state runs is the
``Interpreter``'s (``interpreter.py``); task tokens are ``tokens.py``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from lamina import fastjson, timestamps
from lamina.clock import Clock
from lamina.observe import tracing
from lamina.observe.statetrace import ExecutionTrace
from lamina.services.stepfunctions import definitions
from lamina.services.stepfunctions.errors import (
    execution_missing,
)
from lamina.services.stepfunctions.history import NO_TRUNCATION, History, Track
from lamina.services.stepfunctions.interpreter import Interpreter, Run, Starter
from lamina.services.stepfunctions.names import Names
from lamina.services.stepfunctions.store import Doc, Store
from lamina.services.stepfunctions.tasks import Tasks
from lamina.services.stepfunctions.tokens import Tokens
from lamina.states import Definition, Scope, State, StatesError

log = logging.getLogger("lamina.stepfunctions")
StatusHook = Callable[[Doc], None]


class Executor(Interpreter):
    def __init__(
        self,
        store: Store,
        tasks: Tasks,
        names: Names,
        clock: Clock,
        on_status: StatusHook | None = None,
        rate: float = 1.0,
    ) -> None:
        self.store = store
        self.tasks = tasks
        self.names = names
        self.clock = clock
        self.on_status = on_status
        self.rate = rate
        # Set by the service: how states:startExecution starts an execution.
        self.starter: Starter | None = None
        self._runs: dict[str, Run] = {}
        self._finished: dict[str, asyncio.Future[Doc]] = {}
        self.tokens = Tokens(store, clock, rate)
        self._background: set[asyncio.Task[Any]] = set()
        self._resumed = False
        # Parsed definitions by their text: executions of one machine share one.
        self._definitions: dict[str, Definition] = {}

    # -- starting and stopping ----------------------------------------------------------------

    def _run(self, machine: Doc, doc: Doc, durable: bool, last_id: int = 0) -> Run:
        text = str(machine["definition"])
        definition = self._definitions.get(text)
        if definition is None:
            definition = self._definitions[text] = definitions.check(text)
        context = {
            "Execution": {
                "Id": doc["executionArn"],
                "Input": fastjson.loads(doc["input"]),
                "Name": doc["name"],
                "RoleArn": machine.get("roleArn"),
                "StartTime": timestamps.iso_millis(float(doc["startDate"])),
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": machine["stateMachineArn"], "Name": machine["name"]},
        }
        run = Run(doc, machine, definition, History(self.clock, durable, last_id), durable, context)
        header = doc.get("traceHeader")
        if self.tracing is not None and header:
            found = tracing.parse(str(header))
            if found.sampled and found.root:
                run.xray = ExecutionTrace(
                    found.root,
                    found.parent,
                    str(machine["name"]),
                    run.arn,
                    self.names.region,
                    self.names.account_id,
                )
        return run

    async def start(self, machine: Doc, doc: Doc) -> bool:
        """Record a Standard execution and run it; False when its ARN is taken. Returns once
        the execution is in the store with what it did before its first effect: states without
        effects (Pass, Choice) cost no transaction of their own."""
        # A name taken by a stored execution is found by the insert (no read first).
        if doc["executionArn"] in self._runs:
            return False
        run = self._run(machine, doc, True)
        doc["revisionId"] = machine["revisionId"]
        run.history.add(
            Track(0),
            "ExecutionStarted",
            {
                "input": doc["input"],
                "inputDetails": NO_TRUNCATION,
                "roleArn": machine.get("roleArn"),
            },
        )
        run.checkpoint = {
            "state": run.definition.start_at,
            "input": run.context["Execution"]["Input"],
        }
        run.started = dict(doc)
        run.recorded = asyncio.get_running_loop().create_future()
        self._launch(run, resume=None)
        return await asyncio.shield(run.recorded)

    def start_express(self, machine: Doc, doc: Doc) -> None:
        self._launch(self._run(machine, doc, False), resume=None)

    async def run_express(self, machine: Doc, doc: Doc) -> Doc:
        run = self._run(machine, doc, False)
        run.done = asyncio.get_running_loop().create_future()
        self._launch(run, resume=None)
        return await run.done

    def resume(self) -> None:
        """Run every Standard execution a previous Lamina left running (once)."""
        if self._resumed:
            return
        self._resumed = True
        self.store.abort_children(self.clock.wall())
        for execution in self.store.running():
            if execution.arn in self._runs:
                continue
            doc = execution.doc
            machine = self.store.revision(str(doc.get("revisionId"))) or self.store.machine(
                execution.machine
            )
            if machine is None:
                continue
            last = self.store.last_event_id(execution.arn)
            run = self._run(machine, doc, True, last)
            run.checkpoint = execution.checkpoint or {
                "state": run.definition.start_at,
                "input": run.context["Execution"]["Input"],
            }
            log.info("resuming %s at %s", execution.arn, run.checkpoint.get("state"))
            self._launch(run, resume=dict(run.checkpoint))

    def redrive(self, machine: Doc, doc: Doc, checkpoint: Doc) -> None:
        """Run an ended Standard execution again from the top-level state it stopped in (entered
        afresh: its retries counted from zero), after an ``ExecutionRedriven`` event; the
        execution is ``RUNNING`` in the store before this returns."""
        count = int(doc.get("redriveCount") or 0) + 1
        for key in ("stopDate", "error", "cause", "output", "outputDetails"):
            doc.pop(key, None)
        doc.update(status="RUNNING", redriveCount=count, redriveDate=self.clock.wall())
        last = self.store.last_event_id(doc["executionArn"])
        run = self._run(machine, doc, True, last)
        run.context["Execution"]["RedriveCount"] = count
        stopped_in = run.definition.states.get(str(checkpoint["state"]))
        if stopped_in is not None and stopped_in.type in ("Parallel", "Map"):
            run.carry_from = checkpoint.get("fanout")
        resume = {
            "state": checkpoint["state"],
            "input": checkpoint["input"],
            "variables": checkpoint.get("variables") or {},
            "fresh": True,
        }
        run.checkpoint = dict(resume)
        run.history.add(Track(last), "ExecutionRedriven", {"redriveCount": count})
        self.store.advance(run.arn, run.history.take(), run.checkpoint, doc)
        self._launch(run, resume=resume)

    async def run_state(
        self,
        machine: Doc,
        doc: Doc,
        state: State,
        value: Any,
        variables: Doc,
        inspect: Doc | None = None,
    ) -> tuple[str | None, Any]:
        """One state run alone (TestState), kept nowhere: the state that follows and its
        output; a failure it does not catch raises ``StatesError``. ``inspect``: where the
        state's raw result is noted (``result``) for TestState's inspection data."""
        run = self._run(machine, doc, False)
        run.inspect = inspect
        following, output, _ = await self._state(
            run, state, value, Track(0), False, None, Scope(run.context, variables)
        )
        return following, output

    def _launch(self, run: Run, resume: Doc | None) -> None:
        self._runs[run.arn] = run
        run.task = asyncio.get_running_loop().create_task(self._drive(run, resume))

    async def stop(self, arn: str, error: str | None, cause: str | None) -> Doc:
        run = self._runs.get(arn)
        if run is not None and run.task is not None and not run.task.done():
            run.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run.task
            details: Doc = {}
            if error is not None:
                details["error"] = error
            if cause is not None:
                details["cause"] = cause
            return self._end(
                run, "ABORTED", "ExecutionAborted", details, Track(run.history.last_id)
            )
        found = self.store.execution(arn)
        if found is None:
            raise execution_missing(arn)
        return found.doc

    def running(self, arn: str) -> Doc | None:
        """The document of an execution this executor runs now."""
        run = self._runs.get(arn)
        return None if run is None else run.doc

    async def finished(self, arn: str) -> Doc:
        """The execution's document once it has ended."""
        if arn not in self._runs:
            found = self.store.execution(arn)
            if found is not None and found.status != "RUNNING":
                return found.doc
        future = self._finished.get(arn)
        if future is None:
            future = self._finished[arn] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(future)

    async def close(self) -> None:
        runs = [r.task for r in self._runs.values() if r.task is not None]
        for task in [*runs, *self._background]:
            task.cancel()
        await asyncio.gather(*runs, *self._background, return_exceptions=True)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- an execution -------------------------------------------------------------------------

    async def _drive(self, run: Run, resume: Doc | None) -> None:
        track = Track(run.history.last_id)
        definition = run.definition
        try:
            limit = definition.timeout_seconds
            value = run.context["Execution"]["Input"]
            try:
                async with asyncio.timeout(None if limit is None else float(limit) / self.rate):
                    output = await self._branch(
                        run, definition, value, track, True, resume, Scope(run.context)
                    )
            except TimeoutError:
                self._end(run, "TIMED_OUT", "ExecutionTimedOut", {}, track)
                return
            text = fastjson.dumps_text(output)
            self._end(
                run,
                "SUCCEEDED",
                "ExecutionSucceeded",
                {"output": text, "outputDetails": NO_TRUNCATION},
                track,
                output=text,
            )
        except StatesError as failure:
            self._end(
                run,
                "FAILED",
                "ExecutionFailed",
                {"error": failure.error, "cause": failure.cause},
                track,
                error=failure,
            )
        except _Duplicate:
            self._runs.pop(run.arn, None)
        except asyncio.CancelledError:
            if run.recorded is not None and not run.recorded.done():
                run.recorded.set_result(False)
            raise
        except Exception as exc:
            log.exception("execution %s failed in Lamina", run.arn)
            self._end(
                run,
                "FAILED",
                "ExecutionFailed",
                {"error": "States.Runtime", "cause": f"{type(exc).__name__}: {exc}"},
                track,
                error=StatesError("States.Runtime", str(exc)),
            )

    def _end(
        self,
        run: Run,
        status: str,
        kind: str,
        details: Doc,
        track: Track,
        output: str | None = None,
        error: StatesError | None = None,
    ) -> Doc:
        doc = run.doc
        if doc.get("status") != "RUNNING":
            return doc
        doc["status"] = status
        doc["stopDate"] = self.clock.wall()
        if output is not None:
            doc["output"] = output
            doc["outputDetails"] = {"included": True}
        if error is not None:
            doc["error"] = error.error
            doc["cause"] = error.cause
        elif "error" in details:
            doc["error"] = details["error"]
        if "cause" in details and error is None:
            doc["cause"] = details["cause"]
        run.history.add(track, kind, details or None)
        if self.trace is not None:
            self.trace(f"{doc['name']}: execution {status} ({doc['executionArn']})")
        if run.xray is not None and self.tracing is not None:
            began = float(doc.get("redriveDate") or doc["startDate"])
            self.tracing.execution(run.xray, began, float(doc["stopDate"]), status)
        if run.durable:
            # A failed, timed-out or aborted execution keeps its last checkpoint (the top-level
            # state it was in): RedriveExecution resumes there.
            kept = None if status == "SUCCEEDED" else run.checkpoint
            if not self._write(run, kept, doc):
                self._runs.pop(run.arn, None)
                return doc
            self._status(doc)
        self._runs.pop(run.arn, None)
        if run.done is not None and not run.done.done():
            run.done.set_result(doc)
        future = self._finished.pop(run.arn, None)
        if future is not None and not future.done():
            future.set_result(doc)
        self.tokens.forget(run.arn)
        return doc

    def _status(self, doc: Doc) -> None:
        if self.on_status is not None:
            try:
                self.on_status(doc)
            except Exception:
                log.exception("status change of %s not sent", doc.get("executionArn"))

    def _flush(self, run: Run) -> None:
        """Write what happened so far and the checkpoint, before an effect begins."""
        if run.durable and not self._write(run, run.checkpoint, None):
            raise _Duplicate()

    def _branches_done(self, run: Run, fanout: str | None) -> dict[int, Any]:
        if fanout is None or not run.durable or run.recorded is not None:
            return {}
        carried, run.carry_from = run.carry_from, None
        if carried is not None:
            # The redriven Parallel or Map, entered again: what succeeded before is kept
            # (written under this attempt too, so a restart keeps it as well).
            failed = self.store.branches(run.arn, f"{carried}:failed")
            for index, result in self.store.branches(run.arn, carried).items():
                if index not in failed:
                    self.store.branch_done(run.arn, (), fanout, index, result)
        return self.store.branches(run.arn, fanout)

    def _map_run(self, run: Run, doc: Doc) -> None:
        if run.durable:
            self.store.put_map_run(doc)

    def _child(self, run: Run, doc: Doc) -> None:
        if not run.durable:
            return
        if doc["status"] == "RUNNING":
            self.store.start_child(doc)
        else:
            self.store.end_child(doc)

    def _branch_done(self, run: Run, fanout: str | None, index: int, result: Any) -> None:
        if fanout is None or not run.durable:
            return
        if run.recorded is not None:
            self._flush(run)
        self.store.branch_done(run.arn, run.history.take(), fanout, index, result)

    def _write(self, run: Run, checkpoint: Doc | None, ended: Doc | None) -> bool:
        """False when the execution's first write finds its name taken: it must not run."""
        events = run.history.take()
        recorded = run.recorded
        if recorded is None:
            self.store.advance(run.arn, events, checkpoint, ended)
            return True
        run.recorded = None
        ok = self.store.start(run.doc, events, checkpoint)
        if ok and run.started is not None:
            self._status(run.started)
        if not recorded.done():
            recorded.set_result(ok)
        return ok

    # -- the API's side of tokens -----------------------------------------------------------

    async def answer_token(
        self,
        token: str,
        output: str | None = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        self.tokens.answer(token, output, error, cause)

    async def heartbeat(self, token: str) -> None:
        self.tokens.heartbeat(token)

    async def activity_task(self, arn: str, worker: str) -> Doc:
        """The next task scheduled on the activity, waiting up to a minute for one."""
        return await self.tokens.poll(arn, worker)


class _Duplicate(Exception):
    """A new execution whose name a stored one already has."""
