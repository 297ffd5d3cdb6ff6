package client

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

func queue(name, path string, state yarnpb.QueueStateProto, kids ...*yarnpb.QueueInfoProto) *yarnpb.QueueInfoProto {
	return &yarnpb.QueueInfoProto{QueueName: proto.String(name), QueuePath: proto.String(path), State: state.Enum(), ChildQueues: kids}
}

// checkQueue refuses a queue the RM does not know (listing the leaves), a
// parent queue (listing its children) and a stopped one, and checks
// nothing when the RM tells nothing about its queues.
func TestCheckQueue(t *testing.T) {
	run := yarnpb.QueueStateProto_Q_RUNNING
	tree := queue("root", "root", run,
		queue("default", "root.default", run),
		queue("eng", "root.eng", run, queue("etl", "root.eng.etl", run), queue("adhoc", "root.eng.adhoc", run)),
		queue("old", "root.old", yarnpb.QueueStateProto_Q_STOPPED))
	find := func(q *yarnpb.QueueInfoProto, name string) *yarnpb.QueueInfoProto {
		var walk func(*yarnpb.QueueInfoProto) *yarnpb.QueueInfoProto
		walk = func(q *yarnpb.QueueInfoProto) *yarnpb.QueueInfoProto {
			if q.GetQueueName() == name || q.GetQueuePath() == name {
				return q
			}
			for _, c := range q.GetChildQueues() {
				if f := walk(c); f != nil {
					return f
				}
			}
			return nil
		}
		if f := walk(q); f != nil {
			return f
		}
		return &yarnpb.QueueInfoProto{} // what the RM answers for a queue it does not know
	}
	rm := func(_ context.Context, name string, _, _ bool) (*yarnpb.QueueInfoProto, error) {
		return find(tree, name), nil
	}
	for _, ok := range []string{"default", "root.default", "etl", "root.eng.adhoc"} {
		if err := checkQueue(context.Background(), rm, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"nosuch": `queue: "nosuch": no such queue to submit to: this cluster's leaf queues are root.default, root.eng.adhoc, root.eng.etl, root.old`,
		"eng":    `queue: "eng" is a parent queue, no such queue to submit to: give one of its leaf queues: adhoc, etl`,
		"old":    `queue: "old" is stopped`,
	} {
		err := checkQueue(context.Background(), rm, name)
		if !errors.Is(err, ErrUnknownQueue) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want ErrUnknownQueue with %q, got %v", name, want, err)
		}
	}
	silent := func(context.Context, string, bool, bool) (*yarnpb.QueueInfoProto, error) {
		return &yarnpb.QueueInfoProto{}, nil
	}
	if err := checkQueue(context.Background(), silent, "any"); err != nil {
		t.Errorf("an RM that lists no queues: %v", err)
	}
	broken := func(context.Context, string, bool, bool) (*yarnpb.QueueInfoProto, error) {
		return nil, errors.New("connection reset")
	}
	if err := checkQueue(context.Background(), broken, "default"); err == nil || errors.Is(err, ErrUnknownQueue) {
		t.Errorf("an RM that cannot be asked is no unknown queue: %v", err)
	}
}
