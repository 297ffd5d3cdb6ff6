package yarnpb

import (
	"bytes"
	"testing"

	// Registers colinmarc/hdfs's hadoop.common.* protos (TokenProto among
	// them) in the same binary: a clash of full names or file paths would
	// panic at init and fail this test binary.
	_ "github.com/colinmarc/hdfs/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func TestRegistersNextToColinmarcHDFS(t *testing.T) {
	for _, name := range []protoreflect.FullName{
		"spindle.yarn.TokenProto",
		"spindle.yarn.CredentialsProto",
		"spindle.yarn.ApplicationSubmissionContextProto",
		"spindle.yarn.AllocateResponseProto",
		"spindle.yarn.StartContainersRequestProto",
		"hadoop.common.TokenProto", // colinmarc/hdfs's copy
	} {
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
			t.Errorf("FindMessageByName(%s): %v", name, err)
		}
	}
	for _, path := range []string{
		"hadooprpc/yarnpb/security.proto",
		"hadooprpc/yarnpb/yarn.proto",
		"hadooprpc/yarnpb/yarn_service.proto",
	} {
		if _, err := protoregistry.GlobalFiles.FindFileByPath(path); err != nil {
			t.Errorf("FindFileByPath(%s): %v", path, err)
		}
	}
}

// Expected bytes are worked out from Hadoop's field numbers and wire types:
// tag = field<<3 | wiretype (0 varint, 2 length-delimited, 5 fixed32).
// Negative int32/int64 values are 10-byte varints (two's complement).
func TestMarshalVectors(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		want []byte
	}{
		{
			name: "application id",
			// 1700000000000 = 0x18BCFF95D000 -> varint 80 d0 95 ff bc 31.
			msg:  &ApplicationIdProto{Id: proto.Int32(1), ClusterTimestamp: proto.Int64(1700000000000)},
			want: []byte{0x08, 0x01, 0x10, 0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31},
		},
		{
			name: "container id with epoch",
			// id = 1<<40 | 5 -> varint 85 80 80 80 80 20.
			msg: &ContainerIdProto{
				AppAttemptId: &ApplicationAttemptIdProto{
					ApplicationId: &ApplicationIdProto{Id: proto.Int32(2), ClusterTimestamp: proto.Int64(3)},
					AttemptId:     proto.Int32(1),
				},
				Id: proto.Int64(1<<40 | 5),
			},
			want: []byte{
				0x12, 0x08, // app_attempt_id (2)
				0x0a, 0x04, 0x08, 0x02, 0x10, 0x03, // application_id (1) {id 2, ts 3}
				0x10, 0x01, // attemptId (2)
				0x18, 0x85, 0x80, 0x80, 0x80, 0x80, 0x20, // id (3)
			},
		},
		{
			name: "resource request",
			msg: &ResourceRequestProto{
				Priority:      &PriorityProto{Priority: proto.Int32(1)},
				ResourceName:  proto.String("*"),
				Capability:    &ResourceProto{Memory: proto.Int64(1024), VirtualCores: proto.Int32(1)},
				NumContainers: proto.Int32(2),
				RelaxLocality: proto.Bool(true),
				ExecutionTypeRequest: &ExecutionTypeRequestProto{
					ExecutionType: ExecutionTypeProto_GUARANTEED.Enum(),
				},
				AllocationRequestId: proto.Int64(-1),
			},
			want: cat(
				[]byte{0x0a, 0x02, 0x08, 0x01},                   // priority (1) {priority 1}
				[]byte{0x12, 0x01, '*'},                          // resource_name (2)
				[]byte{0x1a, 0x05, 0x08, 0x80, 0x08, 0x10, 0x01}, // capability (3) {memory 1024, vcores 1}
				[]byte{0x20, 0x02},                               // num_containers (4)
				[]byte{0x28, 0x01},                               // relax_locality (5)
				[]byte{0x3a, 0x02, 0x08, 0x01},                   // execution_type_request (7) {GUARANTEED = 1}
				[]byte{0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // allocation_request_id (8) = -1
			),
		},
		{
			name: "allocate request",
			msg: &AllocateRequestProto{
				Release:    []*ContainerIdProto{{Id: proto.Int64(1)}},
				ResponseId: proto.Int32(3),
				Progress:   proto.Float32(0.5),
			},
			want: []byte{
				0x12, 0x02, 0x18, 0x01, // release (2) {id 1}
				0x20, 0x03, // response_id (4)
				0x2d, 0x00, 0x00, 0x00, 0x3f, // progress (5), fixed32 little-endian 0.5
			},
		},
		{
			name: "local resource",
			msg: &LocalResourceProto{
				Resource: &URLProto{
					Scheme: proto.String("hdfs"), Host: proto.String("nn"), Port: proto.Int32(8020),
					File: proto.String("/a"),
				},
				Size:       proto.Int64(10),
				Timestamp:  proto.Int64(20),
				Type:       LocalResourceTypeProto_ARCHIVE.Enum(),
				Visibility: LocalResourceVisibilityProto_APPLICATION.Enum(),
			},
			want: cat(
				[]byte{0x0a, 0x11}, // resource (1), 6+4+3+4 bytes
				[]byte{0x0a, 0x04}, []byte("hdfs"),
				[]byte{0x12, 0x02}, []byte("nn"),
				[]byte{0x18, 0xd4, 0x3e}, // port 8020
				[]byte{0x22, 0x02}, []byte("/a"),
				[]byte{0x10, 0x0a, 0x18, 0x14, 0x20, 0x01, 0x28, 0x03},
			),
		},
		{
			name: "token",
			msg: &TokenProto{
				Identifier: []byte{1, 2}, Password: []byte{3},
				Kind: proto.String("YARN_AM_RM_TOKEN"), Service: proto.String(""),
			},
			want: cat(
				[]byte{0x0a, 0x02, 1, 2, 0x12, 0x01, 3},
				[]byte{0x1a, 0x10}, []byte("YARN_AM_RM_TOKEN"),
				[]byte{0x22, 0x00}, // required service, present even when empty
			),
		},
		{
			name: "application filter",
			msg: &GetApplicationsRequestProto{
				ApplicationTypes:  []string{"DASK"},
				ApplicationStates: []YarnApplicationStateProto{YarnApplicationStateProto_RUNNING, YarnApplicationStateProto_ACCEPTED},
				Scope:             ApplicationsRequestScopeProto_OWN.Enum(),
			},
			want: cat(
				[]byte{0x0a, 0x04}, []byte("DASK"),
				// proto2 repeated enums are not packed: one tag per value.
				[]byte{0x10, 0x05, 0x10, 0x04},
				[]byte{0x58, 0x02}, // scope (11)
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := proto.MarshalOptions{Deterministic: true}.Marshal(tt.msg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Marshal:\n got % x\nwant % x", got, tt.want)
			}
			back := tt.msg.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(tt.want, back); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !proto.Equal(back, tt.msg) {
				t.Fatalf("round trip: got %v, want %v", back, tt.msg)
			}
		})
	}
}

// Hadoop's proto2 defaults apply to absent fields, exactly as in Java.
func TestDefaults(t *testing.T) {
	ctx := &ApplicationSubmissionContextProto{}
	st := &ContainerStatusProto{}
	tests := []struct {
		name      string
		got, want any
	}{
		{"application_name", ctx.GetApplicationName(), "N/A"},
		{"queue", ctx.GetQueue(), "default"},
		{"applicationType", ctx.GetApplicationType(), "YARN"},
		{"cancel_tokens_when_complete", ctx.GetCancelTokensWhenComplete(), true},
		{"attempt_failures_validity_interval", ctx.GetAttemptFailuresValidityInterval(), int64(-1)},
		{"exit_status", st.GetExitStatus(), int32(-1000)},
		{"diagnostics", st.GetDiagnostics(), "N/A"},
		{"executionType", st.GetExecutionType(), ExecutionTypeProto_GUARANTEED},
		// Without an explicit default an enum reads as its first value.
		{"state", st.GetState(), ContainerStateProto_C_NEW},
		{"relax_locality", (&ResourceRequestProto{}).GetRelaxLocality(), true},
		{"allocation_request_id", (&ResourceRequestProto{}).GetAllocationRequestId(), int64(-1)},
		{"scope", (&GetApplicationsRequestProto{}).GetScope(), ApplicationsRequestScopeProto_ALL},
		{"include_pattern", (&LogAggregationContextProto{}).GetIncludePattern(), ".*"},
		{"acl", (&ApplicationACLMapProto{}).GetAcl(), " "},
		{"isUnregistered", (&FinishApplicationMasterResponseProto{}).GetIsUnregistered(), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s default = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestEnumNumbers(t *testing.T) {
	tests := []struct {
		got  protoreflect.Enum
		want protoreflect.EnumNumber
	}{
		{YarnApplicationStateProto_NEW, 1},
		{YarnApplicationStateProto_KILLED, 8},
		{FinalApplicationStatusProto_APP_UNDEFINED, 0},
		{FinalApplicationStatusProto_APP_ENDED, 4},
		{ContainerStateProto_C_COMPLETE, 3},
		{ContainerExitStatusProto_INVALID, -1000},
		{ContainerExitStatusProto_DISKS_FAILED, -101},
		{LocalResourceTypeProto_PATTERN, 3},
		{LogAggregationStatusProto_LOG_RUNNING_WITH_FAILURE, 7},
		{NodeStateProto_NS_SHUTDOWN, 8},
		{AMCommandProto_AM_SHUTDOWN, 2},
		{ContainerUpdateTypeProto_DEMOTE_EXECUTION_TYPE, 3},
		{SchedulerResourceTypes_CPU, 1},
		{YarnApplicationAttemptStateProto_APP_ATTEMPT_KILLED, 11},
	}
	for _, tt := range tests {
		if n := tt.got.Number(); n != tt.want {
			t.Errorf("%v = %d, want %d", tt.got, n, tt.want)
		}
	}
}

// Fields Hadoop removed (AllocateResponseProto 10 and 11) or added after
// 3.4.1 must survive a decode and encode unchanged.
func TestUnknownFieldsArePreserved(t *testing.T) {
	in := []byte{
		0x10, 0x07, // response_id 7
		0x52, 0x01, 0x00, // field 10, bytes {0}
		0xa8, 0x06, 0x01, // field 101, varint 1
	}
	var r AllocateResponseProto
	if err := proto.Unmarshal(in, &r); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if r.GetResponseId() != 7 {
		t.Errorf("response_id = %d, want 7", r.GetResponseId())
	}
	out, err := proto.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) {
		t.Errorf("re-marshal:\n got % x\nwant % x", out, in)
	}
}

// Our TokenProto and colinmarc/hdfs's independent copy of Hadoop's
// TokenProto must read each other's bytes the same way.
func TestTokenWireCompatibleWithColinmarcHDFS(t *testing.T) {
	theirs, err := protoregistry.GlobalTypes.FindMessageByName("hadoop.common.TokenProto")
	if err != nil {
		t.Fatal(err)
	}
	ours := &TokenProto{
		Identifier: []byte("id"), Password: []byte("pw"),
		Kind: proto.String("HDFS_DELEGATION_TOKEN"), Service: proto.String("10.0.0.1:8020"),
	}
	b, err := proto.Marshal(ours)
	if err != nil {
		t.Fatal(err)
	}
	m := theirs.New().Interface()
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("their Unmarshal: %v", err)
	}
	fields := m.ProtoReflect().Descriptor().Fields()
	if got := m.ProtoReflect().Get(fields.ByName("kind")).String(); got != "HDFS_DELEGATION_TOKEN" {
		t.Errorf("their kind = %q", got)
	}
	if got := m.ProtoReflect().Get(fields.ByName("password")).Bytes(); string(got) != "pw" {
		t.Errorf("their password = %q", got)
	}
	b2, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back TokenProto
	if err := proto.Unmarshal(b2, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&back, ours) {
		t.Errorf("through their type: got %v, want %v", &back, ours)
	}
}

func TestRequiredFieldsAreChecked(t *testing.T) {
	// kind and service are required in TokenProto: Hadoop rejects a token
	// without them, so marshaling one must fail here already.
	if _, err := proto.Marshal(&TokenProto{Identifier: []byte{1}, Password: []byte{2}}); err == nil {
		t.Error("Marshal of a TokenProto without kind and service: want error")
	}
	// A required field nested deep inside a response is checked on decode.
	in := []byte{0x12, 0x02, 0x08, 0x01} // UpdatedContainerProto without container (2)
	if err := proto.Unmarshal(cat([]byte{0x82, 0x01, byte(len(in))}, in), &AllocateResponseProto{}); err == nil {
		t.Error("Unmarshal of an updated container without its container: want error")
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{0x10, 0x07, 0x1a, 0x02, 0x08, 0x01})
	f.Add([]byte{0x0a, 0x02, 0x08, 0x01, 0x12, 0x01, '*'})
	f.Add([]byte{0x0a, 0x02, 1, 2, 0x12, 0x01, 3, 0x1a, 0x00, 0x22, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []proto.Message{
			&AllocateResponseProto{}, &RegisterApplicationMasterResponseProto{},
			&GetApplicationReportResponseProto{}, &GetApplicationsResponseProto{},
			&StartContainersResponseProto{}, &GetContainerStatusesResponseProto{},
			&GetQueueInfoResponseProto{}, &CredentialsProto{},
		} {
			if proto.Unmarshal(b, m) != nil {
				continue
			}
			// Whatever decodes must encode again and decode to the same message.
			out, err := proto.Marshal(m)
			if err != nil {
				t.Fatalf("%T: Marshal after Unmarshal: %v", m, err)
			}
			again := m.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(out, again); err != nil {
				t.Fatalf("%T: re-Unmarshal: %v", m, err)
			}
			if !proto.Equal(m, again) {
				t.Fatalf("%T: round trip changed the message", m)
			}
		}
	})
}

func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}
