package sched

import (
	"fmt"
	"strings"
)

// The options of a Script beyond nodes, ranks and walltime map to each
// system's own directive; an option a system has no directive for is an
// error naming the system and the option (the spmdsubmit flag), never
// dropped in silence:
//
//	option          Slurm            OpenPBS             Torque            HTCondor
//	Account   -A    --account        -A                  -A                accounting_group
//	QoS      --qos  --qos            refused             refused           refused
//	Queue     -q    --partition      -q                  -q                refused
//	Memory   --mem  --mem (per node) select ...:mem=     -l mem= (N×, the  request_memory
//	                                 (per chunk=node)    job's total)      (per node's slot)
//	MemoryPerCPU    --mem-per-cpu    refused             -l pmem=          refused
//	Array           --array          -J (one range)      -t                queue N / queue ... in (...)
//	MailUser        --mail-user      -M                  -M                notify_user
//	MailType        --mail-type      -m (a, b, e, n)     -m                notification (no begin)
//	Stdout, Stderr  --output --error -o -e (-j oe when   -o -e             output error (.$(Node) added:
//	                                 no Stderr)                            one file per node)
//	Setup, Export   lines and exports before the launch in the script;     Setup in the node script,
//	                                                                       Export in environment

// validWord says why v (the value of option opt) cannot be written in a
// batch directive, or "".
func validWord(opt, v string) string {
	if v == "" {
		return opt + " is empty"
	}
	if strings.ContainsAny(v, " \t\n\r'\"#\\$`\x00") {
		return fmt.Sprintf("%s %q: blanks, quotes, '#', '\\', '$' and '`' cannot be written in a batch directive", opt, v)
	}
	return ""
}

// validateOptions checks the options for format f, rendering them once.
func (s *Script) validateOptions(f Format) error {
	for _, kv := range s.Export {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("exported entry %q: want KEY=VALUE", kv)
		}
		if why := checkEnvName(k); why != "" {
			return fmt.Errorf("exported entry %q: %s", kv, why)
		}
		if strings.ContainsAny(kv, "\n\r\x00") {
			return fmt.Errorf("exported entry %s: the value holds a line break or NUL", k)
		}
		if k == ArrayIndexVar && s.Array != nil {
			return fmt.Errorf("exported entry %s: the job array sets %s", k, ArrayIndexVar)
		}
	}
	for _, l := range s.Setup {
		if strings.TrimSpace(l) == "" || strings.ContainsAny(l, "\n\r\x00") {
			return fmt.Errorf("setup line %q: want one non-empty line", l)
		}
	}
	switch {
	case s.Memory < 0 || s.Memory > MaxMemory:
		return fmt.Errorf("memory %d bytes: want 1 byte..1 PiB", s.Memory)
	case s.MemoryPerCPU < 0 || s.MemoryPerCPU > MaxMemory:
		return fmt.Errorf("memory per CPU %d bytes: want 1 byte..1 PiB", s.MemoryPerCPU)
	case s.Memory > 0 && s.MemoryPerCPU > 0:
		return fmt.Errorf("%s: --mem and --mem-per-cpu: give one of them", f)
	case s.MailType&MailNever != 0 && s.MailType != MailNever:
		return fmt.Errorf("mail type: none goes alone")
	}
	_, err := s.directives(f)
	return err
}

// directives are format f's lines for the options, in the order of the
// table above, without their prefix (#SBATCH, #PBS) for the batch
// systems and as submit commands for HTCondor.
func (s *Script) directives(f Format) ([]string, error) {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	word := func(opt, v string) error {
		if why := validWord(opt, v); why != "" {
			return fmt.Errorf("%s: %s", f, why)
		}
		return nil
	}
	refuse := func(opt, why string) error { return fmt.Errorf("%s: %s: %s", f, opt, why) }

	if s.Account != "" {
		if err := word("--account", s.Account); err != nil {
			return nil, err
		}
		switch f {
		case FormatSlurm:
			add("--account=%s", s.Account)
		case FormatCondor:
			add("accounting_group = %s", s.Account)
		default:
			add("-A %s", s.Account)
		}
	}
	if s.QoS != "" {
		if err := word("--qos", s.QoS); err != nil {
			return nil, err
		}
		if f != FormatSlurm {
			return nil, refuse("--qos", "no quality of service there; leave it out")
		}
		add("--qos=%s", s.QoS)
	}
	if s.Queue != "" && f == FormatCondor {
		return nil, refuse("-q", "HTCondor has no queues or partitions; leave it out")
	}
	if s.Memory > 0 {
		switch f {
		case FormatSlurm:
			add("--mem=%s", slurmMemory(s.Memory))
		case FormatTorque:
			// Torque's mem is the whole job's; the per-node request times
			// the nodes is the same budget.
			if s.Memory > MaxMemory/int64(s.Nodes) {
				return nil, refuse("--mem", fmt.Sprintf("Torque asks for the job's total, %d nodes × %s, which is above 1 PiB", s.Nodes, pbsMemory(s.Memory)))
			}
			add("-l mem=%s", pbsMemory(s.Memory*int64(s.Nodes)))
		case FormatCondor:
			add("request_memory = %s", condorMemory(s.Memory))
		}
		// OpenPBS: in the select chunk (pbsChunk).
	}
	if s.MemoryPerCPU > 0 {
		switch f {
		case FormatSlurm:
			add("--mem-per-cpu=%s", slurmMemory(s.MemoryPerCPU))
		case FormatTorque:
			add("-l pmem=%s", pbsMemory(s.MemoryPerCPU))
		case FormatPBS:
			return nil, refuse("--mem-per-cpu", "OpenPBS has no per-CPU memory; use --mem (per node)")
		case FormatCondor:
			return nil, refuse("--mem-per-cpu", "HTCondor has no per-CPU memory; use --mem (per node)")
		}
	}
	if s.Array != nil {
		switch f {
		case FormatSlurm:
			add("--array=%s", s.Array)
		case FormatPBS:
			j, err := s.Array.pbsArray()
			if err != nil {
				return nil, err
			}
			add("-J %s", j)
		case FormatTorque:
			add("-t %s", s.Array.torqueArray())
		case FormatCondor:
			if _, _, err := s.Array.condorQueue(); err != nil {
				return nil, err
			}
			// The queue statement ends the description (condorQueueLine).
		}
	}
	if s.MailUser != "" {
		if err := word("--mail-user", s.MailUser); err != nil {
			return nil, err
		}
		switch f {
		case FormatSlurm:
			add("--mail-user=%s", s.MailUser)
		case FormatCondor:
			add("notify_user = %s", s.MailUser)
		default:
			add("-M %s", s.MailUser)
		}
	}
	if s.MailType != 0 {
		switch f {
		case FormatSlurm:
			add("--mail-type=%s", s.MailType.slurm())
		case FormatCondor:
			n, err := s.MailType.condor()
			if err != nil {
				return nil, err
			}
			add("notification = %s", n)
		default:
			add("-m %s", s.MailType.pbs())
		}
	}
	if f == FormatCondor {
		// Output and error are written with the streams (condorStreams).
		if env, err := s.condorEnvironment(); err != nil {
			return nil, err
		} else if env != "" {
			add("environment = %s", env)
		}
		_, err := s.condorStreams()
		return out, err
	}
	for _, p := range []struct{ opt, path, slurm, pbs string }{
		{"--stdout", s.Stdout, "--output=", "-o "},
		{"--stderr", s.Stderr, "--error=", "-e "},
	} {
		if p.path == "" {
			continue
		}
		w, err := s.jobPath(f, p.opt, p.path)
		if err != nil {
			return nil, err
		}
		if f == FormatSlurm {
			add("%s%s", p.slurm, w)
		} else {
			add("%s%s", p.pbs, w)
		}
	}
	return out, nil
}

// writeDirectives writes the option directives of format f after prefix
// ("#SBATCH ", "#PBS "). The options were checked by validateOptions.
func (s *Script) writeDirectives(b *strings.Builder, f Format, prefix string) {
	lines, _ := s.directives(f)
	for _, l := range lines {
		b.WriteString(prefix + l + "\n")
	}
}

// pbsChunk is what an OpenPBS select chunk adds for the options: the
// per-node memory.
func (s *Script) pbsChunk() string {
	if s.Memory > 0 {
		return ":mem=" + pbsMemory(s.Memory)
	}
	return ""
}

// arrayIndexSource is the variable in which format f's batch system gives
// an array task its index.
var arrayIndexSource = map[Format]string{
	FormatSlurm:  "SLURM_ARRAY_TASK_ID",
	FormatPBS:    "PBS_ARRAY_INDEX",
	FormatTorque: "PBS_ARRAYID",
}

// prologue is the part of a batch script (or, for HTCondor, of the node
// script) that runs before the launch: the exported variables (for
// HTCondor they come from the submit description's environment), the
// array index, then the setup lines, in order.
func (s *Script) prologue(f Format) string {
	var b strings.Builder
	if f != FormatCondor {
		for _, kv := range s.Export {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
		}
		if s.Array != nil {
			fmt.Fprintf(&b, "export %s=\"$%s\"\n", ArrayIndexVar, arrayIndexSource[f])
		}
	}
	for _, l := range s.Setup {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// exportedNames are the variables spmdrun must pass on to every rank
// (spmdrun -x NAME takes the value from its own environment).
func (s *Script) exportedNames() []string {
	var names []string
	for _, kv := range s.Export {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	if s.Array != nil {
		names = append(names, ArrayIndexVar)
	}
	return names
}

// condorEnvironment is the value of the submit command environment: the
// exported entries and the array index, in HTCondor's quoted form (the
// whole in double quotes, entries separated by blanks, a value with
// blanks or quotes in single quotes, a single quote doubled inside them,
// a double quote doubled everywhere).
func (s *Script) condorEnvironment() (string, error) {
	var entries []string
	for _, kv := range s.Export {
		k, v, _ := strings.Cut(kv, "=")
		if strings.Contains(v, "$(") {
			return "", fmt.Errorf("condor: exported %s: condor_submit expands $( in the environment", k)
		}
		v = strings.ReplaceAll(v, `"`, `""`)
		if v == "" || strings.ContainsAny(v, " \t'") {
			v = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		entries = append(entries, k+"="+v)
	}
	if s.Array != nil {
		_, index, err := s.Array.condorQueue()
		if err != nil {
			return "", err
		}
		entries = append(entries, ArrayIndexVar+"="+index)
	}
	if len(entries) == 0 {
		return "", nil
	}
	return `"` + strings.Join(entries, " ") + `"`, nil
}

// condorStreams are the output, error and log submit commands. Each node
// writes its own output and error (the path with .$(Node) added), each
// task of an array its own (the default names gain .$(Process)).
func (s *Script) condorStreams() (string, error) {
	out, errp := s.Name+".out", s.Name+".err"
	if s.Array != nil {
		out, errp = out+".$(Process)", errp+".$(Process)"
	}
	var err error
	if s.Stdout != "" {
		if out, err = s.jobPath(FormatCondor, "--stdout", s.Stdout); err != nil {
			return "", err
		}
	}
	if s.Stderr != "" {
		if errp, err = s.jobPath(FormatCondor, "--stderr", s.Stderr); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("output = %s.$(Node)\nerror = %s.$(Node)\nlog = %s.log\n", out, errp, s.Name), nil
}

// condorQueueLine is the description's last line: one job, or one per
// array index.
func (s *Script) condorQueueLine() string {
	if s.Array == nil {
		return "queue\n"
	}
	q, _, _ := s.Array.condorQueue()
	return q + "\n"
}
