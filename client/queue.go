package client

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// ErrUnknownQueue: the spec names a queue the ResourceManager does not
// have, or one it would refuse applications in (a parent or stopped queue).
var ErrUnknownQueue = errors.New("no such queue to submit to")

// maxListedQueues bounds the queue names an error lists.
const maxListedQueues = 20

// queueInfo is the part of the ResourceManager checkQueue uses.
type queueInfo func(ctx context.Context, queue string, children, recursive bool) (*yarnpb.QueueInfoProto, error)

// checkQueue asks the ResourceManager about the spec's queue before
// anything is staged: YARN would otherwise accept the files and fail the
// application afterwards ("submitted to unknown queue"). The RM answers an
// empty queue info for a queue it does not know; when it answers none for
// "root" either, it keeps its queues to itself and nothing is checked.
func checkQueue(ctx context.Context, info queueInfo, name string) error {
	q, err := info(ctx, name, true, false)
	if err != nil {
		return fmt.Errorf("look up queue %q: %w", name, err)
	}
	if q.GetQueueName() == "" {
		root, err := info(ctx, "root", true, true)
		if err != nil {
			return fmt.Errorf("list the queues: %w", err)
		}
		if root.GetQueueName() == "" {
			return nil
		}
		return fmt.Errorf("queue: %q: %w: this cluster's leaf queues are %s", name, ErrUnknownQueue, leafQueues(root))
	}
	if kids := q.GetChildQueues(); len(kids) > 0 {
		names := make([]string, 0, len(kids))
		for _, k := range kids {
			names = append(names, k.GetQueueName())
		}
		sort.Strings(names)
		return fmt.Errorf("queue: %q is a parent queue, %w: give one of its leaf queues: %s", name, ErrUnknownQueue, strings.Join(names, ", "))
	}
	if q.GetState() == yarnpb.QueueStateProto_Q_STOPPED {
		return fmt.Errorf("queue: %q is stopped, %w: ask the cluster's administrators, or give another queue", name, ErrUnknownQueue)
	}
	return nil
}

// leafQueues lists the leaves under q by their full path, sorted, at most
// maxListedQueues of them.
func leafQueues(q *yarnpb.QueueInfoProto) string {
	var out []string
	var walk func(q *yarnpb.QueueInfoProto, parent string)
	walk = func(q *yarnpb.QueueInfoProto, parent string) {
		p := q.GetQueuePath()
		if p == "" {
			p = strings.TrimPrefix(parent+"."+q.GetQueueName(), ".")
		}
		if len(q.GetChildQueues()) == 0 {
			out = append(out, p)
		}
		for _, c := range q.GetChildQueues() {
			walk(c, p)
		}
	}
	walk(q, "")
	sort.Strings(out)
	if len(out) > maxListedQueues {
		out = append(out[:maxListedQueues], fmt.Sprintf("and %d more (spindle cluster info)", len(out)-maxListedQueues))
	}
	return strings.Join(out, ", ")
}
