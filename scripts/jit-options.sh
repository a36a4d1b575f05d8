# Sourced by the launcher, scripts/jmh and scripts/flag-ab: the JIT options every JVM running the kernels takes.
# -IncrementalInlineMH: C2 otherwise inlines some memory-segment accesses late, and then (depending on what
# it compiled before) keeps every vector of a large kernel boxed: 2-4x slower decoding (see the README).
# Tier3DelayOn: HotSpot otherwise compiles a method at tier 2 first when C2's queue is long, and a kernel too
# large for C1's tier 3 (SuperBlockDot) would then stay there, boxed; with it such a kernel goes to C2. The
# compile command lowers that kernel's thresholds for C2, which it reaches from the interpreter (quiet: nothing
# printed on stdout).
# The inline command: kernels read each row through a slice of the weights (MemorySegment.asSlice), which C2
# removes only if it inlines the segment's dup; it sometimes declines ("low call site frequency", seen with a
# kernel called for two tensors of a model), and every call then allocated its slices (~1 MB per token).
jit_options=(-XX:+UnlockDiagnosticVMOptions -XX:-IncrementalInlineMH -XX:Tier3DelayOn=100000
  -XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,baleine.tensor.SuperBlockDot::q*,0.01
  '-XX:CompileCommand=inline,*MemorySegmentImpl::dup')
