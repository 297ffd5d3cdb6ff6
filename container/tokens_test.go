package container_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// When the AM refreshes the delegation tokens, a running container's token
// file (what HADOOP_TOKEN_FILE_LOCATION names for the Dask processes and
// the Java clients they start) gets the new ones, keeps its control secret
// and stays private to the user.
func TestTokenFileFollowsTheAM(t *testing.T) {
	secret := []byte("k")
	am := newFakeAM(t, secret)
	tf := filepath.Join(t.TempDir(), "container_tokens")
	old := credentials.New()
	old.AddSecret(container.SecretAlias, secret)
	old.AddToken("127.0.0.1:9000", credentials.Token{Kind: "HDFS_DELEGATION_TOKEN", Service: "127.0.0.1:9000", Identifier: []byte("old")})
	if err := old.WriteFile(tf, credentials.FormatWritable); err != nil {
		t.Fatal(err)
	}
	fresh := credentials.New()
	fresh.AddToken("127.0.0.1:9000", credentials.Token{Kind: "HDFS_DELEGATION_TOKEN", Service: "127.0.0.1:9000", Identifier: []byte("new"), Password: []byte("p")})
	am.mu.Lock()
	am.tokens = container.TokensReply{Serial: 1, Credentials: fresh.ContainerTokens()}
	am.mu.Unlock()

	cmd, out, _ := runtimeProcessEnv(t, am, []string{"HADOOP_TOKEN_FILE_LOCATION=" + tf, container.EnvTokenPoll + "=1s"}, "5s",
		"sh", "-c", "sleep 120")
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := credentials.ReadFile(tf)
		if err == nil {
			if tok, _ := c.Token("127.0.0.1:9000"); string(tok.Identifier) == "new" {
				if s, _ := c.Secret(container.SecretAlias); string(s) != "k" {
					t.Fatalf("the control secret was lost: %q", s)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the token file still has the old token after a minute; runtime log:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if fi, err := os.Stat(tf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v %v", fi.Mode(), err)
	}
	// Stopped as YARN stops it, so that the child does not outlive the test.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}
