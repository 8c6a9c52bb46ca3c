package pbsemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Config is an emulated server's configuration, HOME/config.json, written
// by Init.
type Config struct {
	Dialect Dialect
	// Server is the server's name: job ids are "<seq>.<Server>".
	Server string
	Hosts  []HostConfig
	// Queues are the queues jobs may name; the first is the default.
	Queues []string
	// NodesCompat makes the OpenPBS dialect convert -l nodes to select
	// (see ResolveRequest).
	NodesCompat bool
	// KillDelay is how long a job's processes get between SIGTERM and
	// SIGKILL when it is deleted or runs out of walltime (a server's
	// kill_delay).
	KillDelay time.Duration
	// Binary is the pbsemu executable the server's commands run.
	Binary string
}

// HostConfig is one execution host: its name (the host name its mom runs
// under) and its cores.
type HostConfig struct {
	Name  string
	NCPUs int
}

// Job is a job's record in the server's state.
type Job struct {
	ID    string
	Seq   int
	Index int // subjob index, or -1
	// Parent is a subjob's array job; Subjobs an array job's subjobs.
	Parent   string   `json:",omitempty"`
	Subjobs  []string `json:",omitempty"`
	ArrayMax int      `json:",omitempty"`

	Name, Owner, Queue, Account string
	State                       string // Q, R, E, F (OpenPBS) or C (Torque); B for a begun array
	Script                      string // the server's copy of the script
	Shell                       string
	SubmitDir                   string // PBS_O_WORKDIR
	Submitted                   map[string]string
	Request                     *Request
	OutPath, ErrPath            string // where the .o and .e files go ("" for a joined one)
	Join                        string
	Block                       bool `json:",omitempty"`

	Placements []Placement `json:",omitempty"`
	Cookie     string      `json:",omitempty"`
	ExitStatus *int        `json:",omitempty"`
	Deleted    bool        `json:",omitempty"`
	Comment    string      `json:",omitempty"`
	QTime      time.Time
	STime      time.Time `json:",omitzero"`
	MTime      time.Time
	TaskSeq    int `json:",omitempty"` // the last PBS_TASKNUM given
}

// state is HOME/state.json: the server's jobs.
type state struct {
	NextSeq int
	Jobs    map[string]*Job
}

// Server is an emulated PBS server: a directory (its PBS_HOME) holding its
// configuration and state, changed only under an exclusive flock.
type Server struct {
	Home string
	Cfg  Config
}

// Open reads the server in home.
func Open(home string) (*Server, error) {
	b, err := os.ReadFile(filepath.Join(home, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("pbsemu server in %s: %w", home, err)
	}
	s := &Server{Home: home}
	if err := json.Unmarshal(b, &s.Cfg); err != nil {
		return nil, fmt.Errorf("pbsemu server in %s: config.json: %w", home, err)
	}
	return s, nil
}

// Paths of the server's files.
func (s *Server) path(parts ...string) string {
	return filepath.Join(append([]string{s.Home}, parts...)...)
}
func (s *Server) nodefilePath(id string) string { return s.path("aux", id) }
func (s *Server) spoolPath(id, ext string) string {
	return s.path("spool", id+"."+ext)
}
func (s *Server) momSocket(host string) string { return s.path("mom", host+".sock") }
func (s *Server) momLog(host string) string    { return s.path("mom", host+".log") }

// errNoJob is a job id the server does not know.
var errNoJob = errors.New("unknown job")

// update runs f on the state under the server's lock and saves what f
// leaves if f returns nil.
func (s *Server) update(f func(st *state) error) error {
	lock, err := os.OpenFile(s.path("lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	st := &state{NextSeq: 1, Jobs: map[string]*Job{}}
	b, err := os.ReadFile(s.path("state.json"))
	if err == nil {
		if err := json.Unmarshal(b, st); err != nil {
			return fmt.Errorf("state.json: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := f(st); err != nil {
		return err
	}
	b, err = json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp := s.path("state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.path("state.json"))
}

// view runs f on a snapshot of the state (under the lock, not saved).
func (s *Server) view(f func(st *state)) error {
	err := s.update(func(st *state) error {
		f(st)
		return errSkipSave
	})
	if errors.Is(err, errSkipSave) {
		return nil
	}
	return err
}

var errSkipSave = errors.New("skip save")

// job returns a copy of job id, or errNoJob.
func (s *Server) job(id string) (*Job, error) {
	var j *Job
	if err := s.view(func(st *state) { j = st.Jobs[id] }); err != nil {
		return nil, err
	}
	if j == nil {
		return nil, errNoJob
	}
	return j, nil
}

// hostUses is every host with what running jobs hold of it.
func (s *Server) hostUses(st *state) []HostUse {
	hs := make([]HostUse, len(s.Cfg.Hosts))
	idx := map[string]int{}
	for i, h := range s.Cfg.Hosts {
		hs[i] = HostUse{Name: h.Name, NCPUs: h.NCPUs}
		idx[h.Name] = i
	}
	for _, j := range st.Jobs {
		if j.State != "R" && j.State != "E" {
			continue
		}
		for _, p := range j.Placements {
			i := idx[p.Host]
			hs[i].Used += p.NCPUs
			if j.Request.Excl {
				hs[i].Exclusive = true
			}
		}
	}
	return hs
}
