"""How states run: the Amazon States Language's behaviour over an execution's ``Run``.

``Interpreter`` walks a branch's states from ``StartAt`` (or from a checkpoint), runs each
state's work (a Task's integration, a Wait's timer, a Parallel's branches, a Map's iterations)
with its Retry and Catch, and records each step in the run's history. What is durable, and when
it is written, is the ``Executor``'s (``executor.py``): the interpreter calls ``_flush`` before
an effect begins and never touches the store itself. Only the top-level branch is
checkpointed, and for a top-level Parallel or Map each finished branch (iteration) with its
result (``_branch_done``): after a restart the finished ones are not run again, the unfinished
ones start over.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import random
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from lamina import fastjson, ids, states, timestamps
from lamina.clock import Clock
from lamina.observe.statetrace import ExecutionTrace, Span, service_name
from lamina.observe.tracing import Tracing
from lamina.services.stepfunctions import itemreader, resultwriter
from lamina.services.stepfunctions.history import NO_TRUNCATION, History, Track
from lamina.services.stepfunctions.names import Names
from lamina.services.stepfunctions.store import RAW, Doc
from lamina.services.stepfunctions.tasks import Resource, Tasks
from lamina.services.stepfunctions.tasks import read as read_resource
from lamina.services.stepfunctions.tokens import Tokens, Waiter
from lamina.states import Definition, Scope, State, StatesError

_RUNTIME = "An error occurred while executing the state '"
INTERRUPTED = "Lamina stopped while the task ran; its outcome is unknown"
# (machine ARN, input text, name, trace header) -> the started execution's document
# (states:startExecution).
Starter = Callable[[str, str, str | None, str | None], Coroutine[Any, Any, Doc]]
# The X-Ray span of the state running in this task, with the trace it is of: a Parallel's
# branches and a Map's iterations are tasks that inherit it, so their states' spans nest under
# their parent's. A child execution's task inherits it too, hence the trace kept beside it.
_SPAN: contextvars.ContextVar[tuple[ExecutionTrace, Span] | None] = contextvars.ContextVar(
    "lamina_sfn_span", default=None
)


def _within(xray: ExecutionTrace) -> Span | None:
    """The span of the state this task runs in, if it is one of ``xray``'s."""
    found = _SPAN.get()
    return found[1] if found is not None and found[0] is xray else None


@dataclass
class Run:
    """One execution being run."""

    doc: Doc
    machine: Doc
    definition: Definition
    history: History
    durable: bool
    context: dict[str, Any]
    checkpoint: Doc = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    done: asyncio.Future[Doc] | None = None
    # A Standard execution not yet in the store: its first write inserts it (with everything
    # up to its first effect, or its end), then StartExecution answers.
    recorded: asyncio.Future[bool] | None = None
    started: Doc | None = None
    # TestState's DEBUG inspection: the state's raw result is noted here (never for executions).
    inspect: Doc | None = None
    # A redriven execution whose failed state is a Parallel or Map: the fanout of its last
    # attempt, whose successful branches (iterations) the redriven attempt keeps.
    carry_from: str | None = None
    # A traced execution's X-Ray facts (its header sampled and tracing on), else None.
    xray: ExecutionTrace | None = None

    @property
    def arn(self) -> str:
        return str(self.doc["executionArn"])


class Interpreter:
    """The states' behaviour; ``Executor`` supplies the durability (``_flush``) and the
    waiting on other executions (``finished``)."""

    tasks: Tasks
    tokens: Tokens
    names: Names
    clock: Clock
    rate: float
    starter: Starter | None
    # Each transition as one line (LAMINA_TRACE_EXECUTIONS), or nothing.
    trace: Callable[[str], None] | None = None
    # Where traced executions' X-Ray segments go (``observe.statetrace``), or nowhere.
    tracing: Tracing | None = None

    def _flush(self, run: Run) -> None:
        raise NotImplementedError

    async def finished(self, arn: str) -> Doc:
        raise NotImplementedError

    def _branches_done(self, run: Run, fanout: str | None) -> dict[int, Any]:
        """The results of the branches (iterations) of ``fanout`` already recorded."""
        return {}

    def _branch_done(self, run: Run, fanout: str | None, index: int, result: Any) -> None:
        """Record a finished branch of ``fanout`` (a top-level Parallel or Map attempt)."""

    def _map_run(self, run: Run, doc: Doc) -> None:
        """Record a distributed Map's Map Run (DescribeMapRun's document) as it changes."""

    def _child(self, run: Run, doc: Doc) -> None:
        """Record a distributed Map's child execution (one iteration) as it starts and ends."""

    # The ISO text of the current second: every state entered writes its EnteredTime, and
    # formatting a date costs more than the rest of a Pass state.
    _second: tuple[int, str] = (-1, "")

    def _stamp(self, now: float) -> str:
        total = timestamps.millis(now)
        second, ms = divmod(total, 1000)
        if second != self._second[0]:
            self._second = (second, timestamps.iso_seconds(second)[:-1])
        return f"{self._second[1]}.{ms:03d}Z"

    async def _sleep_until(self, until: float) -> None:
        while (left := until - self.clock.wall()) > 0:
            await asyncio.sleep(min(left, 3600.0) / self.rate)

    # -- states -------------------------------------------------------------------------------

    async def _branch(
        self,
        run: Run,
        branch: Definition,
        value: Any,
        track: Track,
        top: bool,
        resume: Doc | None,
        scope: Scope,
    ) -> Any:
        name = branch.start_at
        if resume is not None:
            name, value = str(resume["state"]), resume["input"]
            scope = scope.assigned(dict(resume.get("variables") or {}))
        while True:
            state = branch.states[name]
            if top:
                run.checkpoint = {"state": name, "input": value, "variables": scope.variables}
            following, value, scope = await self._state(
                run, state, value, track, top, resume, scope
            )
            resume = None
            if following is None:
                return value
            name = following

    async def _state(
        self,
        run: Run,
        state: State,
        value: Any,
        track: Track,
        top: bool,
        resume: Doc | None,
        outer: Scope,
    ) -> tuple[str | None, Any, Scope]:
        xray = run.xray
        if xray is None:
            return await self._state_run(run, state, value, track, top, resume, outer)
        span = xray.enter(_within(xray), state.name, state.type, self.clock.wall())
        token = _SPAN.set((xray, span))
        error: str | None = None
        try:
            return await self._state_run(run, state, value, track, top, resume, outer)
        except StatesError as failure:
            error = failure.error
            raise
        finally:
            xray.leave(span, self.clock.wall(), error)
            _SPAN.reset(token)

    async def _state_run(
        self,
        run: Run,
        state: State,
        value: Any,
        track: Track,
        top: bool,
        resume: Doc | None,
        outer: Scope,
    ) -> tuple[str | None, Any, Scope]:
        kind = state.type
        name = state.name
        history = run.history
        if resume is not None and resume.get("fresh"):
            resume = None  # a redriven state is entered again, as if for the first time
        entered = int((resume or {}).get("entered", history.last_id))
        if resume is None:
            entered = history.add(
                track,
                f"{kind}StateEntered",
                {"name": name, "input": _text(value, run), "inputDetails": NO_TRUNCATION},
            )
        scope = outer.with_context(
            State={
                "Name": name,
                "EnteredTime": self._stamp(self.clock.wall()),
                "RetryCount": 0,
            }
        )
        following = None if state.end else state.next
        assigned: dict[str, Any] = {}
        try:
            if kind == "Pass":
                result = states.pass_result(state, states.effective_input(state, value, scope))
                if run.inspect is not None:
                    run.inspect["result"] = result
                output, assigned = states.effective_output(state, value, result, scope)
            elif kind == "Choice":
                rule = states.match(state, value, scope)
                following = rule["Next"] if rule is not None else state.get("Default")
                if following is None:
                    raise StatesError(
                        "States.NoChoiceMatched", "No Choice matched and no Default specified"
                    )
                output, assigned = states.choice_output(state, rule, value, scope)
            elif kind == "Wait":
                data = states.effective_input(state, value, scope)
                until = (resume or {}).get("until")
                if until is None:
                    now = dt.datetime.fromtimestamp(self.clock.wall(), dt.UTC)
                    until = states.wait_until(state, value, scope, now).timestamp()
                if top:
                    run.checkpoint["until"] = until
                self._flush(run)
                await self._sleep_until(float(until))
                output, assigned = states.effective_output(state, value, data, scope)
            elif kind == "Succeed":
                data = states.effective_input(state, value, scope)
                following = None
                output, assigned = states.effective_output(state, value, data, scope)
            elif kind == "Fail":
                error, cause = states.fail_details(state, value, scope)
                raise StatesError(error or "", cause or "")
            else:
                output, assigned = await self._attempts(
                    run, state, value, track, top, resume, scope, entered
                )
        except StatesError as failure:
            if failure.error.startswith("States.Runtime") and not failure.cause.startswith(
                _RUNTIME
            ):
                # AWS's wording names the state and the event that entered it.
                failure = failure.in_state(name, entered)
            catcher = None
            if kind in ("Task", "Parallel", "Map"):
                catcher = states.find_catcher(state, failure.error)
            if catcher is None:
                if self.trace is not None:
                    self.trace(f"{run.doc['name']}: {name} ({kind}) failed: {failure.error}")
                raise failure from None
            output, assigned = states.error_output(
                catcher, state, value, failure.error, failure.cause, scope
            )
            following = catcher.next
        if kind != "Fail":
            history.add(
                track,
                f"{kind}StateExited",
                {"name": name, "output": _text(output, run), "outputDetails": NO_TRUNCATION},
            )
        if self.trace is not None:
            self.trace(f"{run.doc['name']}: {name} ({kind}) -> {following or 'end'}")
        return following, output, outer.assigned(assigned)

    async def _attempts(
        self,
        run: Run,
        state: State,
        value: Any,
        track: Track,
        top: bool,
        resume: Doc | None,
        scope: Scope,
        entered: int,
    ) -> tuple[Any, dict[str, Any]]:
        """A Task, Parallel or Map with its Retry: its output and the variables it assigns."""
        counts: dict[str, int] = dict((resume or {}).get("retries") or {})
        phase = (resume or {}).get("phase")
        interrupted = phase == "task" and state.type == "Task"
        if phase == "retrying":
            await self._sleep_until(float((resume or {}).get("until", 0)))
        while True:
            try:
                if interrupted:
                    interrupted = False
                    raise self._interrupted(run, state, track)
                if top:
                    run.checkpoint = {
                        "state": state.name,
                        "input": value,
                        "variables": scope.variables,
                        "phase": "task",
                        "retries": counts,
                        "entered": entered,
                    }
                attempt = sum(counts.values())
                retried = scope.context["State"] | {"RetryCount": attempt}
                # The branches of a top-level Parallel or Map finished in this attempt are kept.
                fanout = f"{entered}:{attempt}" if top else None
                if top:
                    run.checkpoint["fanout"] = fanout
                return await self._work(
                    run, state, value, track, scope.with_context(State=retried), fanout
                )
            except StatesError as failure:
                retrier = states.find_retrier(state, failure.error)
                if retrier is None:
                    raise
                key = str(retrier.index)
                counts[key] = counts.get(key, 0) + 1
                delay = states.retry_delay(retrier, counts[key], random.random)
                if delay is None:
                    raise
                until = self.clock.wall() + delay
                if top:
                    run.checkpoint = {
                        "state": state.name,
                        "input": value,
                        "variables": scope.variables,
                        "phase": "retrying",
                        "retries": counts,
                        "until": until,
                        "entered": entered,
                    }
                    self._flush(run)
                await self._sleep_until(until)

    def _interrupted(self, run: Run, state: State, track: Track) -> StatesError:
        """The failure of a task attempt a restart cut short, recorded as its kind fails."""
        failure = StatesError("States.TaskFailed", INTERRUPTED)
        resource = read_resource(str(state.get("Resource")))
        details: Doc = {"error": failure.error, "cause": failure.cause}
        if resource.kind == "function":
            kind = "LambdaFunctionFailed"
        elif resource.kind == "activity":
            kind = "ActivityFailed"
        else:
            kind = "TaskFailed"
            details = {
                "resourceType": resource.resource_type,
                "resource": resource.resource_name,
                **details,
            }
        run.history.add(track, kind, details)
        return failure

    async def _work(
        self, run: Run, state: State, value: Any, track: Track, scope: Scope, fanout: str | None
    ) -> tuple[Any, dict[str, Any]]:
        if state.type == "Parallel":
            result: Any = await self._parallel(run, state, value, track, scope, fanout)
        elif state.type == "Map":
            result = await self._map(run, state, value, track, scope, fanout)
        else:
            result = await self._task(run, state, value, track, scope)
        if run.inspect is not None:
            run.inspect["result"] = result
        return states.effective_output(state, value, result, scope)

    # -- Task ---------------------------------------------------------------------------------

    async def _task(self, run: Run, state: State, value: Any, track: Track, scope: Scope) -> Any:
        resource = read_resource(str(state.get("Resource")))
        waiting = None
        if resource.pattern == "waitForTaskToken" or resource.kind == "activity":
            waiting = self.tokens.issue(run.arn, run.durable)
            scope = scope.with_context(Task={"Token": waiting[0]})
        params = states.effective_input(state, value, scope)
        limits = states.task_limits(state, value, scope)
        timeout = None if limits.timeout_seconds is None else float(limits.timeout_seconds)
        heartbeat = None if limits.heartbeat_seconds is None else float(limits.heartbeat_seconds)
        history = run.history
        if resource.kind == "function":
            scheduled: Doc = {
                "resource": resource.arn,
                "input": _text(params, run),
                "inputDetails": NO_TRUNCATION,
            }
            if timeout is not None:
                scheduled["timeoutInSeconds"] = int(timeout)
            history.add(track, "LambdaFunctionScheduled", scheduled)
            prefix = "LambdaFunction"
        elif resource.kind == "activity":
            scheduled = {
                "resource": resource.arn,
                "input": _text(params, run),
                "inputDetails": NO_TRUNCATION,
            }
            if timeout is not None:
                scheduled["timeoutInSeconds"] = int(timeout)
            if heartbeat is not None:
                scheduled["heartbeatInSeconds"] = int(heartbeat)
            history.add(track, "ActivityScheduled", scheduled)
            prefix = "Activity"
        else:
            scheduled = {
                "resourceType": resource.resource_type,
                "resource": resource.resource_name,
                "region": self.names.region,
                "parameters": _text(params, run),
            }
            if timeout is not None:
                scheduled["timeoutInSeconds"] = int(timeout)
            if heartbeat is not None:
                scheduled["heartbeatInSeconds"] = int(heartbeat)
            history.add(track, "TaskScheduled", scheduled)
            prefix = "Task"
        # What is recorded before the effect: a kill from here on leaves the attempt unknown.
        self._flush(run)
        ids_ = {"resourceType": resource.resource_type, "resource": resource.resource_name}
        detail = ids_ if prefix == "Task" else {}
        try:
            async with asyncio.timeout(None if timeout is None else timeout / self.rate):
                result = await self._perform(
                    run, resource, params, waiting, heartbeat, track, detail
                )
        except TimeoutError:
            failure = StatesError("States.Timeout", "")
            history.add(track, f"{prefix}TimedOut", {**detail, "error": failure.error})
            raise failure from None
        except StatesError as failure:
            kind = (
                f"{prefix}TimedOut"
                if failure.error == "States.HeartbeatTimeout"
                else f"{prefix}Failed"
            )
            history.add(track, kind, {**detail, "error": failure.error, "cause": failure.cause})
            raise
        history.add(
            track,
            f"{prefix}Succeeded",
            {**detail, "output": _text(result, run), "outputDetails": NO_TRUNCATION},
        )
        return result

    async def _perform(
        self,
        run: Run,
        resource: Resource,
        params: Any,
        waiting: tuple[str, Waiter] | None,
        heartbeat: float | None,
        track: Track,
        detail: Doc,
    ) -> Any:
        history = run.history
        if resource.kind == "function":
            history.add(track, "LambdaFunctionStarted")
            span, trace = self._calling(run, resource, "Invoke")
            try:
                value, _, _ = await self.tasks.invoke(resource.arn, params, trace=trace)
            except StatesError as failure:
                self._answered(run, span, failure.error)
                raise
            self._answered(run, span)
            return value
        if resource.kind == "activity":
            assert waiting is not None
            token, waiter = waiting
            text = fastjson.dumps_text(params)
            worker = await self.tokens.offer(resource.arn, token, waiter, text)
            history.add(track, "ActivityStarted", {"workerName": worker})
            return await self.tokens.wait(token, waiter, heartbeat)
        history.add(track, "TaskStarted", detail)
        operation = resource.action[:1].upper() + resource.action[1:]
        span, trace = self._calling(run, resource, operation, params)
        try:
            if resource.kind == "states":
                first = await self._start_child(resource, params, trace)
            else:
                first = await self.tasks.call(resource, params, trace=trace)
        except StatesError as failure:
            self._answered(run, span, failure.error)
            raise
        self._answered(run, span)
        submitted = {**detail, "output": _text(first, run), "outputDetails": NO_TRUNCATION}
        if waiting is not None:
            history.add(track, "TaskSubmitted", submitted)
            return await self.tokens.wait(waiting[0], waiting[1], heartbeat)
        if resource.kind == "states" and resource.pattern.startswith("sync"):
            history.add(track, "TaskSubmitted", submitted)
            return await self._child_result(str(first["ExecutionArn"]), resource.pattern)
        return first

    def _calling(
        self, run: Run, resource: Resource, operation: str, params: Any = None
    ) -> tuple[Span | None, Any]:
        """The X-Ray span of a task's call (a traced execution's) and the trace header the
        call carries: naming that span as its parent, else the execution's own header."""
        if run.xray is None:
            return None, run.doc.get("traceHeader")
        function: Any = resource.arn if resource.kind == "function" else None
        if resource.kind == "lambda" and isinstance(params, Mapping):
            function = params.get("FunctionName")
        return run.xray.call(
            _within(run.xray),
            service_name(resource.kind),
            operation,
            str(function) if function else None,
            self.clock.wall(),
        )

    def _answered(self, run: Run, span: Span | None, error: str | None = None) -> None:
        if run.xray is not None and span is not None:
            run.xray.leave(span, self.clock.wall(), error)

    async def _start_child(self, resource: Resource, params: Any, trace: str | None) -> Any:
        if resource.action != "startExecution" or self.starter is None:
            return await self.tasks.call(resource, params, trace=trace)
        members = params if isinstance(params, Mapping) else {}
        given = members.get("Input", {})
        text = given if isinstance(given, str) else fastjson.dumps_text(given)
        machine = str(members.get("StateMachineArn", ""))
        # The child execution joins the trace, under this task's call (as on AWS).
        doc = await self.starter(machine, text, members.get("Name"), trace)
        return {
            "ExecutionArn": doc["executionArn"],
            "StartDate": timestamps.iso_millis(float(doc["startDate"])),
        }

    async def _child_result(self, arn: str, pattern: str) -> Any:
        doc = await self.finished(arn)
        if doc["status"] != "SUCCEEDED":
            shown = {"ExecutionArn": arn, "Status": doc["status"]}
            shown |= {"Error": doc.get("error"), "Cause": doc.get("cause")}
            raise StatesError("States.TaskFailed", fastjson.dumps_text(shown))
        output: Any = doc.get("output")
        if pattern == "sync:2" and isinstance(output, str):
            output = fastjson.loads(output)
        return {
            "ExecutionArn": doc["executionArn"],
            "StateMachineArn": doc["stateMachineArn"],
            "Name": doc["name"],
            "Status": doc["status"],
            "StartDate": int(float(doc["startDate"]) * 1000),
            "StopDate": int(float(doc["stopDate"]) * 1000),
            "Input": doc["input"] if pattern != "sync:2" else fastjson.loads(doc["input"]),
            "InputDetails": {"Included": True},
            "Output": output,
            "OutputDetails": {"Included": True},
        }

    # -- Parallel and Map ---------------------------------------------------------------------

    async def _parallel(
        self, run: Run, state: State, value: Any, track: Track, scope: Scope, fanout: str | None
    ) -> Any:
        data = states.effective_input(state, value, scope)
        done = self._branches_done(run, fanout)
        if not done:
            run.history.add(track, "ParallelStateStarted")

        async def branch(index: int, definition: Definition) -> Any:
            if index in done:
                return done[index]
            result = await self._branch(run, definition, data, track.fork(), False, None, scope)
            self._branch_done(run, fanout, index, result)
            return result

        branches = [branch(i, b) for i, b in enumerate(state.branches)]
        try:
            results = await _all_or_first_failure(branches)
        except StatesError as failure:
            run.history.add(
                track, "ParallelStateFailed", {"error": failure.error, "cause": failure.cause}
            )
            raise
        run.history.add(track, "ParallelStateSucceeded")
        return results

    async def _map(
        self, run: Run, state: State, value: Any, track: Track, scope: Scope, fanout: str | None
    ) -> Any:
        if "ItemReader" in state.fields:
            items = await itemreader.read_items(self.tasks, state, value, scope)
        else:
            items = states.map_items(state, value, scope)
        limits = states.map_limits(state, value, scope)
        batched = "ItemBatcher" in state.fields
        if batched:
            # Each iteration gets a batch ({"Items": [...], "BatchInput": ...}) as its input.
            items = states.batches(state, items, value, scope)
        processor = state.processor
        assert processor is not None
        history = run.history
        name = state.name
        done = self._branches_done(run, fanout)
        # (Tolerated failures kept from before a restart: not counted as succeeded.)
        failed_before = self._branches_done(run, _failed(fanout))
        if not done:
            history.add(track, "MapStateStarted", {"length": len(items)})
        distributed = _distributed(state) or "ResultWriter" in state.fields
        map_run = ""
        if distributed:
            map_run = self.names.map_run(str(run.machine["name"]), name, ids.request_id())
        mapped: Doc | None = None
        if distributed:
            mapped = _map_run_doc(run, map_run, limits, len(items), self.clock.wall())
            self._map_run(run, mapped)
            history.add(track, "MapRunStarted", {"mapRunArn": map_run})
        # Standard child executions are listed under the Map Run (Express ones, as Express
        # executions, are not kept).
        processing = state.fields.get("ItemProcessor") or state.fields.get("Iterator") or {}
        config = processing.get("ProcessorConfig") or {}
        listed = bool(map_run) and config.get("ExecutionType", "STANDARD") == "STANDARD"
        limit = limits.max_concurrency
        gate = asyncio.Semaphore(limit) if limit > 0 else None
        tolerated = _tolerated(limits, len(items))
        failures: list[StatesError] = []
        # Which iterations failed (tolerated), for a ResultWriter's FAILED file.
        failed_at: dict[int, StatesError] = {}
        # Which iterations succeeded (carried ones included), for the Map Run's counts.
        succeeded: set[int] = set()
        began = self.clock.wall()

        async def iteration(index: int, item: Any) -> Any:
            if index in done:
                if index not in failed_before:
                    succeeded.add(index)
                return done[index]
            async with gate if gate is not None else contextlib.nullcontext():
                branch_track = track.fork()
                given = item if batched else states.map_item_input(state, item, index, value, scope)
                history.add(branch_track, "MapIterationStarted", {"name": name, "index": index})
                child = _child_doc(map_run, given, self.clock.wall()) if listed else None
                if child is not None:
                    self._child(run, child)
                try:
                    result = await self._branch(
                        run, processor, given, branch_track, False, None, scope
                    )
                except StatesError as failure:
                    if child is not None:
                        error = {"error": failure.error, "cause": failure.cause}
                        self._child(run, _child_end(child, "FAILED", error, self.clock.wall()))
                    history.add(branch_track, "MapIterationFailed", {"name": name, "index": index})
                    failures.append(failure)
                    failed_at[index] = failure
                    # Noted apart: a redrive runs failed iterations again, a restart does not.
                    self._branch_done(run, _failed(fanout), index, True)
                    if len(failures) > tolerated:
                        raise
                    result = {"Error": failure.error, "Cause": failure.cause}
                else:
                    succeeded.add(index)
                    if child is not None:
                        text = fastjson.dumps_text(result)
                        output = {"output": text, "outputDetails": NO_TRUNCATION}
                        self._child(run, _child_end(child, "SUCCEEDED", output, self.clock.wall()))
                    history.add(
                        branch_track, "MapIterationSucceeded", {"name": name, "index": index}
                    )
                self._branch_done(run, fanout, index, result)
                return result

        try:
            results = await _all_or_first_failure([iteration(i, v) for i, v in enumerate(items)])
        except StatesError as first:
            if mapped is not None:
                self._map_run(
                    run, _map_run_end(mapped, "FAILED", len(succeeded), len(failures), self.clock)
                )
                history.add(track, "MapRunFailed", {"error": first.error, "cause": first.cause})
            failure = first
            if tolerated > 0 or limits.tolerated_failure_percentage is not None:
                failure = StatesError(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                )
            history.add(track, "MapStateFailed")
            raise failure from None
        if mapped is not None:
            self._map_run(
                run, _map_run_end(mapped, "SUCCEEDED", len(succeeded), len(failures), self.clock)
            )
            history.add(track, "MapRunSucceeded")
        history.add(track, "MapStateSucceeded")
        if "ResultWriter" not in state.fields:
            return results
        outcomes = [
            resultwriter.Outcome(
                i,
                item if batched else states.map_item_input(state, item, i, value, scope),
                None if i in failed_at else results[i],
                failed_at[i].error if i in failed_at else None,
                failed_at[i].cause if i in failed_at else None,
            )
            for i, item in enumerate(items)
        ]
        times = (began, self.clock.wall())
        return await resultwriter.write(self.tasks, state, value, scope, map_run, outcomes, times)


def _distributed(state: State) -> bool:
    processor = state.fields.get("ItemProcessor")
    config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
    return isinstance(config, dict) and config.get("Mode") == "DISTRIBUTED"


def _counts(total: int, succeeded: int, failed: int, running: int, aborted: int = 0) -> Doc:
    return {
        "pending": 0,
        "running": running,
        "succeeded": succeeded,
        "failed": failed,
        "timedOut": 0,
        "aborted": aborted,
        "total": total,
        "resultsWritten": succeeded + failed,
    }


def _map_run_doc(run: Run, arn: str, limits: states.MapLimits, total: int, now: float) -> Doc:
    return {
        "mapRunArn": arn,
        "executionArn": run.arn,
        "stateMachineArn": run.doc["stateMachineArn"],
        "status": "RUNNING",
        "startDate": now,
        "maxConcurrency": limits.max_concurrency,
        "toleratedFailurePercentage": float(limits.tolerated_failure_percentage or 0),
        "toleratedFailureCount": int(limits.tolerated_failure_count or 0),
        "itemCounts": _counts(total, 0, 0, total),
        "executionCounts": _counts(total, 0, 0, total),
        "redriveCount": 0,
    }


def _map_run_end(doc: Doc, status: str, succeeded: int, failed: int, clock: Clock) -> Doc:
    """The Map Run's document once it ends: what did not finish was aborted with it."""
    total = int(doc["itemCounts"]["total"])
    counts = _counts(total, succeeded, failed, 0, max(total - succeeded - failed, 0))
    return doc | {
        "status": status,
        "stopDate": clock.wall(),
        "itemCounts": counts,
        "executionCounts": counts,
    }


async def _all_or_first_failure(work: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Every result in order, or the first failure with the rest cancelled."""
    if not work:
        return []
    tasks = [asyncio.ensure_future(w) for w in work]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _tolerated(limits: states.MapLimits, count: int) -> int:
    """How many iterations may fail before the Map does."""
    tolerated = limits.tolerated_failure_count or 0
    if limits.tolerated_failure_percentage is not None:
        share = int(count * limits.tolerated_failure_percentage / 100)
        tolerated = max(tolerated, share)
    return tolerated


def _text(value: Any, run: Run) -> Any:
    """A value the history shows as JSON text: written as text when the history is read
    (``store.RAW``), not at every step; Express executions keep no history at all."""
    return {RAW: value} if run.durable else ""


def _failed(fanout: str | None) -> str | None:
    """Where a fanout's failed (tolerated) iterations are noted."""
    return None if fanout is None else f"{fanout}:failed"


def _child_doc(map_run: str, given: Any, now: float) -> Doc:
    """A distributed Map iteration as AWS shows it: a child execution of the Map Run,
    ``execution:MACHINE/MAP:ID`` of the state machine ``MACHINE/MAP``."""
    prefix, _, _ = map_run.rpartition(":")  # arn:...:mapRun:MACHINE/MAP
    machine = prefix.replace(":mapRun:", ":stateMachine:", 1)
    child_id = ids.request_id()
    return {
        "executionArn": f"{prefix.replace(':mapRun:', ':execution:', 1)}:{child_id}",
        "stateMachineArn": machine,
        "name": child_id,
        "status": "RUNNING",
        "startDate": now,
        "input": fastjson.dumps_text(given),
        "inputDetails": NO_TRUNCATION,
        "mapRunArn": map_run,
    }


def _child_end(child: Doc, status: str, details: Doc, now: float) -> Doc:
    return child | details | {"status": status, "stopDate": now}
