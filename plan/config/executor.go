package config

import (
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/evalplan/evalplan/schema"
)

// addExecutor records an executor "TYPE" "NAME" block, rejecting a second one of the same
// type and name.
func (l *loader) addExecutor(b *hcl.Block) {
	typ, name := b.Labels[0], b.Labels[1]
	if l.executors[typ] == nil {
		l.executors[typ] = map[string]hcl.Range{}
	}
	if prev, dup := l.executors[typ][name]; dup {
		l.errorf(b.DefRange.Ptr(), "Duplicate executor block",
			"An executor %q %q was already declared at %s. Executor names must be unique within a type; rename or remove one.", typ, name, rangeString(prev))
		return
	}
	l.executors[typ][name] = b.DefRange
	l.blocks[b.Type] = append(l.blocks[b.Type], b)
}

// decodeExecutor decodes an executor block; nil when its type is unknown.
func (l *loader) decodeExecutor(b *hcl.Block) *Executor {
	typ, name := b.Labels[0], b.Labels[1]
	s := schema.ExecutorBody(typ)
	if s == nil {
		l.errorf(b.LabelRanges[0].Ptr(), "Unknown executor type", "There is no executor type %q.%s The executor types are %s.",
			typ, didYouMean(typ, schema.ExecutorTypes()), quoteList(schema.ExecutorTypes()))
		return nil
	}
	e := &Executor{Type: typ, Name: name, Evalplan: "evalplan", PollInterval: 5 * time.Second, MaxResubmits: 2, ModelServer: ModelServerInJob, Containers: ContainersDocker, DeclRange: b.DefRange}
	c := l.content(b.Body, s)
	for n, dst := range map[string]*string{
		"partition": &e.Partition, "account": &e.Account, "qos": &e.QOS, "time_limit": &e.TimeLimit,
		"mem": &e.Mem, "constraint": &e.Constraint, "shared_dir": &e.SharedDir, "evalplan": &e.Evalplan,
	} {
		if v, ok := l.str(c.Attributes[n]); ok {
			*dst = v
		}
	}
	for n, dst := range map[string]*int{"nodes": &e.Nodes, "gpus_per_node": &e.GPUsPerNode, "cpus_per_task": &e.CPUsPerTask} {
		if v, ok := l.integer(c.Attributes[n], 1); ok {
			*dst = v
		}
	}
	if v, ok := l.integer(c.Attributes["max_resubmits"], 0); ok {
		e.MaxResubmits = v
	}
	e.Exclusive, _ = l.boolean(c.Attributes["exclusive"])
	e.SbatchArgs, _ = l.strList(c.Attributes["sbatch_args"])
	if a := c.Attributes["poll_interval"]; a != nil {
		if s, ok := l.positiveSeconds(a); ok {
			e.PollInterval = time.Duration(s * float64(time.Second))
		}
	}
	if a := c.Attributes["model_server"]; a != nil {
		if v, ok := l.str(a); ok {
			switch v {
			case ModelServerInJob, ModelServerOwnJob:
				e.ModelServer = v
			default:
				l.errorf(a.Expr.Range().Ptr(), "Invalid model_server",
					"model_server must be %q (a managed endpoint's server starts inside the job of its runs) or %q (the server is a Slurm job of its own that the run jobs depend on), not %q.", ModelServerInJob, ModelServerOwnJob, v)
			}
		}
	}
	if a := c.Attributes["containers"]; a != nil {
		if v, ok := l.str(a); ok && l.enum(a, v, ContainersDocker, ContainersPyxis) {
			e.Containers, e.ContainersRange = v, a.Expr.Range()
		}
	}
	if a := c.Attributes["shared_dir"]; a != nil && e.SharedDir == "" {
		l.errorf(a.Expr.Range().Ptr(), "Empty shared_dir", "shared_dir must name a directory that the nodes see at the same path, such as \"/shared/evalplan\".")
	}
	if e.SharedDir != "" && !filepath.IsAbs(e.SharedDir) {
		e.SharedDir = filepath.Join(l.dir, e.SharedDir)
	}
	if sb := l.single(c, "ssh"); sb != nil {
		e.SSH = l.decodeExecutorSSH(sb)
	}
	return e
}

// decodeExecutorSSH decodes an executor's ssh block. Relative identity_file and
// known_hosts paths are relative to the configuration directory; "~/" stays for the
// runner to expand.
func (l *loader) decodeExecutorSSH(b *hcl.Block) *SSH {
	s := &SSH{DeclRange: b.DefRange}
	c := l.content(b.Body, schema.ExecutorSSHBody())
	for n, dst := range map[string]*string{"host": &s.Host, "user": &s.User, "identity_file": &s.IdentityFile, "known_hosts": &s.KnownHosts} {
		if v, ok := l.str(c.Attributes[n]); ok {
			*dst = v
		}
	}
	if a := c.Attributes["host"]; a != nil && s.Host == "" {
		l.errorf(a.Expr.Range().Ptr(), "Empty host", "host must name the login node that runs sbatch, such as \"login1.cluster.example\".")
	}
	if v, ok := l.integer(c.Attributes["port"], 1); ok {
		if v > 65535 {
			l.errorf(c.Attributes["port"].Expr.Range().Ptr(), "Invalid value", "port must be at most 65535.")
		}
		s.Port = v
	}
	for _, p := range []*string{&s.IdentityFile, &s.KnownHosts} {
		if *p != "" && !filepath.IsAbs(*p) && !strings.HasPrefix(*p, "~/") {
			*p = filepath.Join(l.dir, *p)
		}
	}
	return s
}

// executorRef decodes executor = executor.TYPE.NAME and returns "TYPE.NAME"; "" when a is
// nil or invalid (reported).
func (l *loader) executorRef(a *hcl.Attribute) string {
	if a == nil {
		return ""
	}
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() || t.RootName() != schema.BlockExecutor || len(t) != 3 || stepName(t[1]) == "" || stepName(t[2]) == "" {
		l.errorf(a.Expr.Range().Ptr(), "Invalid reference",
			"Expected a reference to an executor block, like executor.slurm.NAME. A quoted string is not a reference: remove the quotes.")
		return ""
	}
	typ, name := stepName(t[1]), stepName(t[2])
	if _, ok := l.executors[typ][name]; !ok {
		var all []string
		for ty, ns := range l.executors {
			for n := range ns {
				all = append(all, ty+"."+n)
			}
		}
		sort.Strings(all)
		l.errorf(a.Expr.Range().Ptr(), "Reference to undeclared executor", "There is no executor %q %q.%s Declare it with an executor %q %q block, or fix the reference.",
			typ, name, didYouMean(typ+"."+name, all), typ, name)
		return ""
	}
	return typ + "." + name
}
