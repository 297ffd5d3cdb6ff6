package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spindle-yarn/spindle/spec"
)

// scriptFlags are submit's flags for a client script (dask-yarn submit).
type scriptFlags struct {
	script, memory string
	vcores         int
}

func (s *scriptFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.script, "script", "", "run this Python script inside the application once the scheduler is up; its exit status ends the application (its arguments go after --)")
	fl.StringVar(&s.memory, "client-memory", "", "memory of the script's container (default 1GiB)")
	fl.Var(newCount(&s.vcores, 1, spec.MaxVCores), "client-vcores", "vcores of the script's container")
}

// submitArgs splits submit's positional arguments at `--` (dash, -1 when
// absent): before it at most the spec file, after it the script's
// arguments, passed on as they are.
func submitArgs(args []string, dash int, script bool) (specFile string, scriptArgs []string, hasArgs bool, err error) {
	before := args
	if dash >= 0 {
		before, scriptArgs, hasArgs = args[:dash], args[dash:], true
		if !script {
			return "", nil, false, errors.New("arguments after -- are a script's: give the script with --script FILE")
		}
	}
	switch {
	case len(before) > 1 && script:
		return "", nil, false, fmt.Errorf("%d arguments before --: the script's arguments go after --, e.g. spindle submit --script job.py -- %s", len(before), strings.Join(before, " "))
	case len(before) > 1:
		return "", nil, false, fmt.Errorf("accepts at most 1 arg (the spec file), received %d", len(before))
	case len(before) == 1:
		if script && !strings.HasSuffix(before[0], ".yaml") && !strings.HasSuffix(before[0], ".yml") {
			// Most likely meant for the script: say so rather than read it
			// as a spec.
			return "", nil, false, fmt.Errorf("%q: a spec file ends in .yaml or .yml; the script's arguments go after --, e.g. spindle submit --script job.py -- %s", before[0], before[0])
		}
		specFile = before[0]
	}
	return specFile, scriptArgs, hasArgs, nil
}

// apply puts the script flags into sp: --script replaces (or adds) the
// spec's client script, args (when given) its arguments.
func (s *scriptFlags) apply(fl *pflag.FlagSet, sp *spec.Spec, args []string, hasArgs bool) error {
	if !fl.Changed("script") {
		if fl.Changed("client-memory") || fl.Changed("client-vcores") {
			if sp.Client == nil {
				return errors.New("--client-memory and --client-vcores need a script: give --script FILE (or client: in the spec)")
			}
		} else {
			return nil
		}
	}
	if sp.Client == nil {
		sp.Client = &spec.Client{}
	}
	c := sp.Client
	if fl.Changed("script") {
		if s.script == "" {
			return errors.New("--script: give the Python file to run")
		}
		c.Script = s.script
	}
	if hasArgs {
		c.Args = append([]string{}, args...)
	}
	if fl.Changed("client-memory") {
		m, err := spec.ParseByteSize(s.memory)
		if err != nil {
			return fmt.Errorf("--client-memory: %w", err)
		}
		c.Resources.Memory = m
	}
	if fl.Changed("client-vcores") {
		c.Resources.VCores = s.vcores
	}
	sp.FillDefaults()
	return nil
}
