# Sourced by the launcher, scripts/jmh and scripts/flag-ab: the JIT options every JVM running the kernels takes.
# -IncrementalInlineMH: C2 otherwise inlines some memory-segment accesses late, and then (depending on what
# it compiled before) keeps every vector of a large kernel boxed: 2-4x slower decoding (see the README).
# Tier3DelayOn: HotSpot otherwise compiles a method at tier 2 first when C2's queue is long, and a kernel too
# large for C1's tier 3 (SuperBlockDot) would then stay there, boxed; with it such a kernel goes to C2. The
# compile command lowers that kernel's thresholds for C2, which it reaches from the interpreter (quiet: nothing
# printed on stdout).
# The inline command: kernels read each row through a slice of the weights (MemorySegment.asSlice), which C2
# removes only if it inlines the segment's dup; it sometimes declines ("low call site frequency", seen with a
# kernel called for two tensors of a model), and every call then allocated its slices (~1 MB per token). The same for
# asSlice itself: once compiled on its own it is "already compiled into a medium method", which C2 then declined to
# inline into the Q6_K decoding kernel after the kernels' warm-up (one slice a group: 122 KiB per Qwen-shape token).
# IncrementalInlineForceCleanup for the Q6_K decoding kernel: C2 retries a Vector API intrinsic that failed at parse
# time (its operand's class not yet proven) during incremental inlining, but without a cleanup between rounds a cast
# can still hide the class, and the intrinsic then compiles to its allocating Java fallback: that kernel did so in
# about half the runs (2-45 MiB of heap a token, decoding 0.6x), in none of 24 with it. Only there: the
# cleanups make its compilation 4x longer (0.3 -> 1.1 s), and for every method a 24-token reply took 4 s longer.
# BackgroundCompilation off for the kernels' package: a thread that reaches a kernel's compile threshold waits for C2
# instead of running on interpreted, ~1000x slower (a cold generate with a Qwen-shape Q4_K_M model, 19-token prompt
# and 8 tokens: 8.2-9.3 s against 9.8-12.7, three pairs; Q8_0 unchanged; warm speeds and heap per token unchanged).
# Thresholds lowered for the package as well compiled the prompt kernels boxed (pp64 542 -> 178 tok/s).
# CICompilerCount=3 below 4 CPUs (one C1 and two C2 threads, where the default there is one of each; from 4 CPUs
# the default is 3 or more): the kernels' warm-up (KernelWarmUp) runs its weight types on both cores, and one type's
# calls go on while another's kernel compiles; a cold V2-Lite-shape Q4_K_M generate 10.5-10.9 s with one C2 thread,
# 9.2 with two (10.7-10.9 with the types one after another).
jit_options=(-XX:+UnlockDiagnosticVMOptions -XX:-IncrementalInlineMH -XX:Tier3DelayOn=100000
  -XX:CompileCommand=quiet '-XX:CompileCommand=IncrementalInlineForceCleanup,baleine.tensor.Q6_KGroups::one,true'
  -XX:CompileCommand=CompileThresholdScaling,baleine.tensor.SuperBlockDot::q*,0.01
  '-XX:CompileCommand=inline,*MemorySegmentImpl::dup' '-XX:CompileCommand=inline,*MemorySegmentImpl::asSlice'
  '-XX:CompileCommand=BackgroundCompilation,baleine.tensor.*::*,false')
if [ "$(nproc 2>/dev/null || echo 4)" -lt 4 ]; then
  jit_options+=(-XX:CICompilerCount=3)
fi
