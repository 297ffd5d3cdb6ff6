package ipc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

// Reserved call ids (ipc/RpcConstants.java, Server.AuthProtocol).
const (
	callIDConnectionContext int32 = -3
	callIDPing              int32 = -4
	callIDSASL              int32 = -33
	invalidRetryCount       int32 = -1
)

// DefaultMaxResponseSize matches Hadoop's ipc.maximum.response.length.
const DefaultMaxResponseSize = 128 << 20

// requestHeader builds the per-packet RPC header. rpcKind and rpcOp must be
// set explicitly: the server rejects headers that leave them out.
func requestHeader(callID int32, clientID []byte, retry int32) *rpcpb.RpcRequestHeaderProto {
	return &rpcpb.RpcRequestHeaderProto{
		RpcKind:    rpcpb.RpcKindProto_RPC_PROTOCOL_BUFFER.Enum(),
		RpcOp:      rpcpb.RpcRequestHeaderProto_RPC_FINAL_PACKET.Enum(),
		CallId:     proto.Int32(callID),
		ClientId:   clientID,
		RetryCount: proto.Int32(retry),
	}
}

// buildFrame returns the 4-byte big-endian length followed by each message
// varint-delimited.
func buildFrame(msgs ...proto.Message) ([]byte, error) {
	buf := make([]byte, 4, 128)
	var err error
	for _, m := range msgs {
		if buf, err = appendDelimited(buf, m); err != nil {
			return nil, err
		}
	}
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	return buf, nil
}

func appendDelimited(b []byte, m proto.Message) ([]byte, error) {
	opts := proto.MarshalOptions{AllowPartial: false}
	b = protowire.AppendVarint(b, uint64(opts.Size(m)))
	out, err := opts.MarshalAppend(b, m)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return out, nil
}

// readFrame reads one length-prefixed packet, refusing lengths above max
// so a corrupt or hostile length cannot force a huge allocation.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lb[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("response of %d bytes exceeds the %d byte limit (ipc.maximum.response.length); the peer may not be a Hadoop IPC server, or raise MaxResponseSize", n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// nextDelimited splits a varint-delimited message off the front of b.
func nextDelimited(b []byte) (msg, rest []byte, err error) {
	n, l := protowire.ConsumeVarint(b)
	if l < 0 {
		return nil, nil, errors.New("bad length prefix")
	}
	if n > uint64(len(b)-l) {
		return nil, nil, fmt.Errorf("delimited message of %d bytes overruns the %d byte packet", n, len(b))
	}
	return b[l : l+int(n)], b[l+int(n):], nil
}

// parseResponse decodes a response packet: the header and, for SUCCESS,
// the delimited body bytes (not yet unmarshalled).
func parseResponse(frame []byte) (*rpcpb.RpcResponseHeaderProto, []byte, error) {
	hb, rest, err := nextDelimited(frame)
	if err != nil {
		return nil, nil, fmt.Errorf("response header: %w", err)
	}
	h := &rpcpb.RpcResponseHeaderProto{}
	if err := proto.Unmarshal(hb, h); err != nil {
		return nil, nil, fmt.Errorf("response header: %w", err)
	}
	if h.GetStatus() != rpcpb.RpcResponseHeaderProto_SUCCESS {
		return h, nil, nil
	}
	if len(rest) == 0 {
		// A void response still carries a delimited (empty) message in
		// Hadoop, but accept its absence rather than fail the connection.
		return h, nil, nil
	}
	body, trailing, err := nextDelimited(rest)
	if err != nil {
		return nil, nil, fmt.Errorf("response body: %w", err)
	}
	if len(trailing) != 0 {
		return nil, nil, fmt.Errorf("response has %d unexpected trailing bytes", len(trailing))
	}
	return h, body, nil
}

// parseSASL decodes a packet that must carry an RpcSaslProto.
func parseSASL(frame []byte) (*rpcpb.RpcResponseHeaderProto, *rpcpb.RpcSaslProto, error) {
	hb, rest, err := nextDelimited(frame)
	if err != nil {
		return nil, nil, fmt.Errorf("response header: %w", err)
	}
	h := &rpcpb.RpcResponseHeaderProto{}
	if err := proto.Unmarshal(hb, h); err != nil {
		return nil, nil, fmt.Errorf("response header: %w", err)
	}
	if h.GetStatus() != rpcpb.RpcResponseHeaderProto_SUCCESS {
		return h, nil, nil
	}
	if int32(h.GetCallId()) != callIDSASL {
		return h, nil, fmt.Errorf("got a response for call %d where a SASL message (call %d) was due", int32(h.GetCallId()), callIDSASL)
	}
	mb, trailing, err := nextDelimited(rest)
	if err != nil {
		return nil, nil, fmt.Errorf("SASL message: %w", err)
	}
	if len(trailing) != 0 {
		return nil, nil, fmt.Errorf("SASL packet has %d unexpected trailing bytes", len(trailing))
	}
	m := &rpcpb.RpcSaslProto{}
	if err := proto.Unmarshal(mb, m); err != nil {
		return nil, nil, fmt.Errorf("SASL message: %w", err)
	}
	return h, m, nil
}
