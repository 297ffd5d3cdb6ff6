package container_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/spindle-yarn/spindle/container"
)

// runtimeEnv makes the test binary act as `spindle container`, so signal
// tests can send real signals to a real runtime process.
const runtimeEnv = "SPINDLE_TEST_AS_CONTAINER_RUNTIME"

func TestMain(m *testing.M) {
	if os.Getenv(runtimeEnv) != "" {
		cfg, err := container.ConfigFromEnv()
		if err != nil {
			fmt.Fprintln(os.Stderr, "spindle container:", err)
			os.Exit(container.ExitRuntimeError)
		}
		os.Exit(container.Run(context.Background(), cfg))
	}
	os.Exit(m.Run())
}
