package cli

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// parseNames reads repeatable, comma-separated, case-insensitive enum flag
// values, returning canonical (upper-case) names in first-seen order. An
// unknown name is a usage error listing the valid ones.
func parseNames(flag string, values, valid []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name := strings.ToUpper(strings.TrimSpace(part))
			if name == "" {
				continue
			}
			if !slices.Contains(valid, name) {
				return nil, withCode(ExitUsage, fmt.Errorf("--%s %q: want one of %s", flag, part, strings.Join(valid, ", ")))
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// appStateNames are the application states as YARN prints them, in
// lifecycle order.
var appStateNames = enumNames(yarnpb.YarnApplicationStateProto(0).Descriptor(), "")

// activeAppStates are what `spindle list` shows by default: not yet ended.
var activeAppStates = []string{"NEW", "NEW_SAVING", "SUBMITTED", "ACCEPTED", "RUNNING"}

// nodeStateNames are the NodeManager states as YARN prints them.
var nodeStateNames = enumNames(yarnpb.NodeStateProto(0).Descriptor(), "NS_")

func enumNames(d protoreflect.EnumDescriptor, prefix string) []string {
	vals := d.Values()
	out := make([]string, vals.Len())
	for i := range out {
		out[i] = strings.TrimPrefix(string(vals.Get(i).Name()), prefix)
	}
	return out
}

func appStateValue(name string) yarnpb.YarnApplicationStateProto {
	return yarnpb.YarnApplicationStateProto(yarnpb.YarnApplicationStateProto_value[name])
}

func nodeStateValue(name string) yarnpb.NodeStateProto {
	return yarnpb.NodeStateProto(yarnpb.NodeStateProto_value["NS_"+name])
}

// appEnded reports whether an application state is terminal.
func appEnded(s yarnpb.YarnApplicationStateProto) bool {
	return s == yarnpb.YarnApplicationStateProto_FINISHED || s == yarnpb.YarnApplicationStateProto_FAILED ||
		s == yarnpb.YarnApplicationStateProto_KILLED
}
