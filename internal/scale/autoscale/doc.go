// Package autoscale decides how many app instances the pool should have,
// from the load the edge sees. It holds the algorithm only: no process, no
// goroutine, no clock of its own. The supervisor of `agora up` calls Tick
// every couple of seconds with what the edge reports and starts or drains
// instances to reach the size it returns; this package must not start,
// stop or reach anything itself.
//
// # The model
//
// The signal is concurrency: the requests in flight at the edge for the
// pool, queued ones included. By Little's law it is the request rate times
// the latency, so it rises both when more shoppers arrive and when each
// request takes longer (a slow database, a saturated instance) — which is
// why latency and rate are reported in the reasons but not used on their
// own. An instance is sized for TargetInFlight concurrent requests, so the
// pool needs
//
//	desired = ceil(in-flight / TargetInFlight)
//
// instances, which is the Kubernetes HPA's ceil(current × observed/target)
// with the observation taken per pool rather than per instance.
//
// The decision follows Knative's Pod Autoscaler (KPA), with the HPA's
// tolerance, scale-down stabilization and scale-up policies:
//
//   - Stable mode: the in-flight count is averaged over the stable window
//     (default 60 s) and the pool grows to ceil(average / target) when that
//     is more than Tolerance (default 10 %) above what the pool is sized
//     for. A short spike does not move a 60-second average much, so noise
//     does not start instances.
//   - Panic mode: the same figure over the panic window (default 6 s, a
//     tenth of the stable window) reacts within a tick or two. When it asks
//     for at least PanicThreshold (default 2, i.e. 200 %) times the current
//     size the autoscaler panics: it grows at once to the larger of the
//     panic and stable figures and never shrinks until the condition has
//     been false for a whole stable window (Knative's rule: the surge must
//     have made its way into the stable average first).
//   - Scale-down: only in stable mode, and only to the largest size any
//     tick recommended over the scale-down stabilization window (the HPA's
//     rule; its default is 300 s, ours 60 s, one stable window, because a
//     laptop pays little for restarting an instance and much for idle ones
//     holding memory). A tick recommends what its own reading needs, or
//     the size of the moment if the reading was within Tolerance of it;
//     the stable average's figure is a floor. So the pool shrinks once
//     the load has been lower for a whole window, in one step, to what the
//     busiest tick of that window needed, and a load that wobbles around
//     the target never shrinks it. Scale-down is not rate-limited (the
//     HPA's default allows 100 % per period too): removed instances drain
//     first, so a large step costs nothing a small one would not.
//     Knative shrinks on the stable average instead, which after the load
//     stops decays over a whole window and shrinks the pool a little at
//     every tick; with a stabilization window on top it would take two
//     windows. The price of the busiest-tick rule is that a reading taken
//     at the tick (rather than a mean over it) keeps a noisy pool a little
//     larger than its average needs.
//   - Scale-up is bounded per decision to the larger of doubling the pool
//     and adding four instances (the HPA's two default scale-up policies,
//     selectPolicy Max), so a burst does not start a dozen processes that
//     compete for the CPU they are meant to relieve; the next tick sees the
//     new instances and continues.
//   - Everything is clamped to [Min, Max].
//
// Every change of size is a Decision with a sentence that gives the
// numbers; the Autoscaler logs it and keeps the last few for the status
// page. Ticks that keep the size are returned too (their Reason says why)
// but neither logged at info nor kept.
//
// References: Knative Serving autoscaling, "Configuring the autoscaler" and
// pkg/autoscaler/scaling/autoscaler.go (stable and panic windows, panic
// threshold, exit after a stable window); Kubernetes "Horizontal Pod
// Autoscaling" (the algorithm, tolerance 0.1, the stabilization window and
// the default scaling policies).
package autoscale
