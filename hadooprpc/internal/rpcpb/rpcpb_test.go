package rpcpb

import (
	"bytes"
	"testing"

	// Registers colinmarc/hdfs's hadoop.common.* protos in the same binary, as
	// in the spindle binary: a clash of full names or file paths would panic
	// at init and fail this test binary.
	_ "github.com/colinmarc/hdfs/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func TestRegistersNextToColinmarcHDFS(t *testing.T) {
	for _, name := range []protoreflect.FullName{
		"spindle.ipc.RpcRequestHeaderProto",
		"spindle.ipc.RpcResponseHeaderProto",
		"spindle.ipc.RpcSaslProto",
		"spindle.ipc.IpcConnectionContextProto",
		"spindle.ipc.RequestHeaderProto",
		// colinmarc/hdfs's own copies must still be there.
		"hadoop.common.RpcRequestHeaderProto",
		"hadoop.common.RpcSaslProto",
	} {
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err != nil {
			t.Errorf("FindMessageByName(%s): %v", name, err)
		}
	}
	for _, path := range []string{
		"hadooprpc/internal/rpcpb/rpc_header.proto",
		"hadooprpc/internal/rpcpb/ipc_connection_context.proto",
		"hadooprpc/internal/rpcpb/protobuf_rpc_engine.proto",
	} {
		if _, err := protoregistry.GlobalFiles.FindFileByPath(path); err != nil {
			t.Errorf("FindFileByPath(%s): %v", path, err)
		}
	}
}

var clientID = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// Expected bytes are worked out from Hadoop's field numbers and wire types:
// tag = field<<3 | wiretype (0 varint, 2 length-delimited); sint32 is
// zigzag-encoded (n<<1 ^ n>>31), so -1 -> 1, -3 -> 5, -33 -> 65.
func TestMarshalVectors(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		want []byte
	}{
		{
			name: "connection context call header",
			msg: &RpcRequestHeaderProto{
				RpcKind:    RpcKindProto_RPC_PROTOCOL_BUFFER.Enum(),
				RpcOp:      RpcRequestHeaderProto_RPC_FINAL_PACKET.Enum(),
				CallId:     proto.Int32(-3),
				ClientId:   clientID,
				RetryCount: proto.Int32(-1),
			},
			want: cat(
				[]byte{0x08, 0x02}, // rpcKind = 2
				[]byte{0x10, 0x00}, // rpcOp = 0, present although it is the default
				[]byte{0x18, 0x05}, // callId = zigzag(-3)
				[]byte{0x22, 0x10}, clientID,
				[]byte{0x28, 0x01}, // retryCount = zigzag(-1)
			),
		},
		{
			name: "sasl call header",
			msg: &RpcRequestHeaderProto{
				RpcKind:  RpcKindProto_RPC_PROTOCOL_BUFFER.Enum(),
				RpcOp:    RpcRequestHeaderProto_RPC_FINAL_PACKET.Enum(),
				CallId:   proto.Int32(-33),
				ClientId: []byte{},
			},
			want: []byte{0x08, 0x02, 0x10, 0x00, 0x18, 0x41, 0x22, 0x00},
		},
		{
			name: "header with caller context and state id",
			msg: &RpcRequestHeaderProto{
				CallId:        proto.Int32(7),
				ClientId:      []byte{0xab},
				CallerContext: &RPCCallerContextProto{Context: proto.String("ab")},
				StateId:       proto.Int64(300),
			},
			want: []byte{
				0x18, 0x0e, // callId = zigzag(7) = 14
				0x22, 0x01, 0xab,
				0x3a, 0x04, 0x0a, 0x02, 'a', 'b', // field 7 { context "ab" }
				0x40, 0xac, 0x02, // field 8 varint 300
			},
		},
		{
			name: "protobuf engine request header",
			msg: &RequestHeaderProto{
				MethodName:                 proto.String("allocate"),
				DeclaringClassProtocolName: proto.String("p.Q"),
				ClientProtocolVersion:      proto.Uint64(1),
			},
			want: cat(
				[]byte{0x0a, 0x08}, []byte("allocate"),
				[]byte{0x12, 0x03}, []byte("p.Q"),
				[]byte{0x18, 0x01},
			),
		},
		{
			name: "connection context",
			msg: &IpcConnectionContextProto{
				UserInfo: &UserInformationProto{EffectiveUser: proto.String("alice")},
				Protocol: proto.String("x.Y"),
			},
			want: cat(
				[]byte{0x12, 0x07, 0x0a, 0x05}, []byte("alice"),
				[]byte{0x1a, 0x03}, []byte("x.Y"),
			),
		},
		{
			name: "sasl negotiate",
			msg:  &RpcSaslProto{State: RpcSaslProto_NEGOTIATE.Enum()},
			want: []byte{0x10, 0x01},
		},
		{
			name: "sasl initiate with auth",
			msg: &RpcSaslProto{
				State: RpcSaslProto_INITIATE.Enum(),
				Token: []byte{0x01},
				Auths: []*RpcSaslProto_SaslAuth{{
					Method:    proto.String("TOKEN"),
					Mechanism: proto.String("DIGEST-MD5"),
					Protocol:  proto.String(""),
					ServerId:  proto.String("default"),
				}},
			},
			want: cat(
				[]byte{0x10, 0x02, 0x1a, 0x01, 0x01},
				[]byte{0x22, 0x1e}, // 2+5 + 2+10 + 2+0 + 2+7 bytes
				[]byte{0x0a, 0x05}, []byte("TOKEN"),
				[]byte{0x12, 0x0a}, []byte("DIGEST-MD5"),
				[]byte{0x1a, 0x00},
				[]byte{0x22, 0x07}, []byte("default"),
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

func TestResponseHeaderDecoding(t *testing.T) {
	// A FATAL reply to the connection context call as a Java server writes
	// it: callId -3 as a uint32 varint (5 bytes), status FATAL,
	// serverIpcVersionNum 9, class, message, errorDetail FATAL_UNAUTHORIZED.
	in := cat(
		[]byte{0x08, 0xfd, 0xff, 0xff, 0xff, 0x0f},
		[]byte{0x10, 0x02},
		[]byte{0x18, 0x09},
		[]byte{0x22, 0x03}, []byte("a.B"),
		[]byte{0x2a, 0x02}, []byte("no"),
		[]byte{0x30, 0x0f},
	)
	var h RpcResponseHeaderProto
	if err := proto.Unmarshal(in, &h); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if got := int32(h.GetCallId()); got != -3 {
		t.Errorf("callId as int32 = %d, want -3", got)
	}
	if h.GetStatus() != RpcResponseHeaderProto_FATAL ||
		h.GetServerIpcVersionNum() != 9 ||
		h.GetExceptionClassName() != "a.B" || h.GetErrorMsg() != "no" ||
		h.GetErrorDetail() != RpcResponseHeaderProto_FATAL_UNAUTHORIZED {
		t.Errorf("decoded %v", &h)
	}
	// proto2 defaults: absent retryCount reads as -1, like Hadoop.
	if h.GetRetryCount() != -1 {
		t.Errorf("default retryCount = %d, want -1", h.GetRetryCount())
	}
}

func TestRequiredFieldsAreChecked(t *testing.T) {
	// status (field 2) is required: Go's decoder rejects a header without it,
	// as Java's does.
	if err := proto.Unmarshal([]byte{0x08, 0x01}, &RpcResponseHeaderProto{}); err == nil {
		t.Error("Unmarshal of a response header without status: want error")
	}
	// clientId is required: marshaling a header without it fails instead of
	// sending bytes the server would reject.
	if _, err := proto.Marshal(&RpcRequestHeaderProto{CallId: proto.Int32(1)}); err == nil {
		t.Error("Marshal of a request header without clientId: want error")
	}
}

func TestEnumNumbers(t *testing.T) {
	tests := []struct {
		got  protoreflect.Enum
		want protoreflect.EnumNumber
	}{
		{RpcKindProto_RPC_PROTOCOL_BUFFER, 2},
		{RpcRequestHeaderProto_RPC_CLOSE_CONNECTION, 2},
		{RpcResponseHeaderProto_ERROR, 1},
		{RpcResponseHeaderProto_ERROR_RPC_VERSION_MISMATCH, 6},
		{RpcResponseHeaderProto_FATAL_UNKNOWN, 10},
		{RpcResponseHeaderProto_FATAL_UNAUTHORIZED, 15},
		{RpcSaslProto_SUCCESS, 0},
		{RpcSaslProto_WRAP, 5},
	}
	for _, tt := range tests {
		if n := tt.got.Number(); n != tt.want {
			t.Errorf("%v = %d, want %d", tt.got, n, tt.want)
		}
	}
}

// Our definitions and colinmarc/hdfs's independent copy of Hadoop's
// RpcHeader.proto must read each other's bytes the same way.
func TestWireCompatibleWithColinmarcHDFS(t *testing.T) {
	theirs, err := protoregistry.GlobalTypes.FindMessageByName("hadoop.common.RpcSaslProto")
	if err != nil {
		t.Fatal(err)
	}
	ours := &RpcSaslProto{
		State: RpcSaslProto_CHALLENGE.Enum(),
		Token: []byte("tok"),
		Auths: []*RpcSaslProto_SaslAuth{{
			Method: proto.String("KERBEROS"), Mechanism: proto.String("GSSAPI"),
			Protocol: proto.String("rm"), ServerId: proto.String("host"), Challenge: []byte{9},
		}},
	}
	b, err := proto.Marshal(ours)
	if err != nil {
		t.Fatal(err)
	}
	m := theirs.New().Interface()
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("their Unmarshal: %v", err)
	}
	if len(m.ProtoReflect().GetUnknown()) != 0 {
		t.Fatalf("their decoder saw unknown fields in our bytes")
	}
	b2, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back RpcSaslProto
	if err := proto.Unmarshal(b2, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&back, ours) {
		t.Fatalf("through their type: got %v, want %v", &back, ours)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{0x08, 0xfd, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x02})
	f.Add([]byte{0x10, 0x01, 0x22, 0x02, 0x0a, 0x00})
	f.Add([]byte{0x0a, 0x01, 'm', 0x12, 0x01, 'p', 0x18, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []proto.Message{
			&RpcResponseHeaderProto{}, &RpcRequestHeaderProto{}, &RpcSaslProto{},
			&IpcConnectionContextProto{}, &RequestHeaderProto{},
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
