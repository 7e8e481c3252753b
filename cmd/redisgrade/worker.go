package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/grader"
	"github.com/redisgrade/redisgrade/queue"
)

type workerFlags struct {
	gradingFlags
	queue         string
	stream        string
	group         string
	consumer      string
	jobs          int
	claimIdle     time.Duration
	maxDeliveries int64
	resultTTL     time.Duration
}

func newWorkerCmd() *cobra.Command {
	var f workerFlags
	cmd := &cobra.Command{
		Use:   "worker --queue redis://HOST:PORT/DB [--stream S --group G --consumer NAME] [-j N]",
		Short: "Grade jobs from a Redis Stream (enqueued by serve --queue)",
		Long: "worker takes jobs from a Redis Stream with a consumer group (XREADGROUP), grades them, stores each\n" +
			"result once and acknowledges the job in one step. A job whose worker died is taken over by another\n" +
			"after --claim-idle (XAUTOCLAIM); a worker grading a long job keeps it with a heartbeat. The first\n" +
			"Ctrl-C/SIGTERM finishes the jobs in hand and exits; a second one stops at once, and the jobs in\n" +
			"hand go to the other workers.",
		Example: "  redisgrade worker --queue redis://127.0.0.1:6379/0 -j 4",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runWorker(cmd, f) },
	}
	f.gradingFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.queue, "queue", "", "the queue's Redis (redis://host:port/db, or unix:///path?db=N; default: $"+queueEnv+")")
	fl.StringVar(&f.stream, "stream", queue.DefaultStream, "the jobs stream")
	fl.StringVar(&f.group, "group", queue.DefaultGroup, "the consumer group")
	fl.StringVar(&f.consumer, "consumer", "", "this worker's name in the group (default: hostname-pid)")
	fl.IntVarP(&f.jobs, "jobs", "j", grader.DefaultJobs(), "gradings at once, each on its own warm Redis")
	fl.DurationVar(&f.claimIdle, "claim-idle", queue.DefaultClaimIdle, "take over a job left this long without a heartbeat")
	fl.Int64Var(&f.maxDeliveries, "max-deliveries", queue.DefaultMaxDeliveries, "tries before a job is recorded as failed")
	fl.DurationVar(&f.resultTTL, "result-ttl", queue.DefaultResultTTL, "how long results are kept")
	return cmd
}

func runWorker(cmd *cobra.Command, f workerFlags) error {
	stderr := cmd.ErrOrStderr()
	opts, err := f.options()
	if err != nil {
		return err
	}
	queueURL := queueFrom(f.queue, stderr)
	switch {
	case queueURL == "":
		return usageError(fmt.Errorf("worker needs the queue's Redis: --queue redis://HOST:PORT/DB, or $%s", queueEnv))
	case f.jobs <= 0:
		return usageError(errors.New("-j must be at least 1"))
	case f.claimIdle < time.Second:
		return usageError(errors.New("--claim-idle must be at least 1s"))
	case f.maxDeliveries <= 0:
		return usageError(errors.New("--max-deliveries must be at least 1"))
	case f.resultTTL < time.Second:
		return usageError(errors.New("--result-ttl must be at least 1s"))
	}
	eng, cleanup, err := f.open(cmd.Context(), f.verbose, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	q, err := openQueue(cmd.Context(), queueURL, queue.Config{Stream: f.stream, Group: f.group, ResultTTL: f.resultTTL})
	if err != nil {
		return err
	}
	defer q.Close()
	w, err := queue.NewWorker(queue.WorkerConfig{
		Queue: q, Engine: eng, Consumer: f.consumer, Jobs: f.jobs, Grade: opts,
		ClaimIdle: f.claimIdle, MaxDeliveries: f.maxDeliveries,
		Log: log.New(stderr, "redisgrade: ", log.LstdFlags),
	})
	if err != nil {
		return usageError(err)
	}
	fmt.Fprintf(stderr, "redisgrade: worker on %s, group %s (%s engine, %d gradings at once)\n", q.Stream(), q.Group(), eng.Kind(), f.jobs)

	// The first signal stops taking jobs; Run still grades and records the
	// ones in hand, on a context the signal does not end.
	ctx := cmd.Context()
	go func() {
		<-ctx.Done()
		w.Stop()
	}()
	go announceShutdown(ctx, stderr)
	if err := w.Run(context.WithoutCancel(ctx)); err != nil {
		return &exitError{code: exitInfra, err: err}
	}
	st := w.Stats()
	fmt.Fprintf(stderr, "redisgrade: stopped: %d graded, %d recorded, %d taken over from other workers\n", st.Graded, st.Recorded, st.Claimed)
	return nil
}
