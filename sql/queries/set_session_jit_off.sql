-- The monitor's sessions: no JIT compilation (monitor/loop.py without_jit). Its reads are short range scans that
-- the planner may price over jit_above_cost, and compiling then costs far more than the query.
SET jit = off
