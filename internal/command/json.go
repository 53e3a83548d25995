package command

import (
	"errors"
	"fmt"
	"io"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/jsonlist"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// listJSON is a listing with --json (see package jsonlist for the
// schema): the data and order of the text listing, the same failures with
// the same messages and exit statuses. Output is always numeric, so -n
// and --exact change nothing; of the format options only --stats and
// --rate add members.
func (r *Runner) listJSON(c *rule.Command) Outcome {
	inc := jsonlist.Include{Stats: c.List.Stats, Rates: c.List.Rate}
	switch {
	case c.List.Connection:
		return r.connectionsJSON()
	case c.List.Timeout:
		t, err := r.Backend.Timeouts()
		if err != nil {
			return listFailed // as the text listing: no message
		}
		return r.jsonWritten(jsonlist.WriteTimeout(r.Stdout, jsonlist.NewTimeout(t)))
	case c.List.Daemon:
		d, err := r.Backend.Daemons()
		if err != nil {
			return listFailed // as the text listing: no message
		}
		return r.jsonWritten(jsonlist.WriteDaemons(r.Stdout, jsonlist.NewDaemons(d)))
	case c.HasService:
		return r.serviceJSON(c.Service.ServiceKey, inc, c.List.NoSort)
	}
	return r.servicesJSON(inc, c.List.NoSort)
}

// servicesJSON lists every service, streaming one service (with its
// destinations) at a time.
func (r *Runner) servicesJSON(inc jsonlist.Include, noSort bool) Outcome {
	services, fetched := r.services(!noSort)
	if !fetched {
		return listFailed
	}
	out, err := jsonlist.NewServicesWriter(r.Stdout, jsonlist.NewIPVS(r.Info))
	if err != nil {
		return r.jsonWritten(err)
	}
	for i := range services {
		s := &services[i]
		if err := r.fillDestinations(s, noSort); err != nil {
			msg := kernelMessage(opGetServers, err)
			fmt.Fprintln(r.Stderr, msg)
			out.Fail(msg)
			return listFailed
		}
		js := jsonlist.NewService(s.ServiceEntry, s.Destinations, inc)
		if err := out.Write(&js); err != nil {
			return r.jsonWritten(err)
		}
		s.Destinations = nil // done with it
	}
	return r.jsonWritten(out.Close())
}

// serviceJSON lists the one service key names; nothing is written unless
// it and its destinations could be read.
func (r *Runner) serviceJSON(key ipvs.ServiceKey, inc jsonlist.Include, noSort bool) Outcome {
	entry, err := r.Backend.Service(key)
	if err != nil {
		fmt.Fprintln(r.Stderr, kernelMessage(opGetService, err))
		return listFailed
	}
	s := render.Service{ServiceEntry: entry}
	if err := r.fillDestinations(&s, noSort); err != nil {
		fmt.Fprintln(r.Stderr, kernelMessage(opGetServers, err))
		return listFailed
	}
	out, err := jsonlist.NewServicesWriter(r.Stdout, jsonlist.NewIPVS(r.Info))
	if err != nil {
		return r.jsonWritten(err)
	}
	js := jsonlist.NewService(s.ServiceEntry, s.Destinations, inc)
	if err := out.Write(&js); err != nil {
		return r.jsonWritten(err)
	}
	return r.jsonWritten(out.Close())
}

// connectionsJSON lists the connection table, streamed from /proc row by
// row in constant memory. Failures are the text listing's: a table that
// cannot be opened or is empty prints its message and nothing on
// standard output; a read error later ends the document with an "error"
// member (a blank line, where the original stops without a word, too,
// silently).
func (r *Runner) connectionsJSON() Outcome {
	f, opened := r.openConnections()
	if !opened {
		return listFailed
	}
	defer f.Close()
	rows, err := connections.NewReader(f)
	if err != nil {
		fmt.Fprintln(r.Stderr, err)
		return listFailed
	}
	out, err := jsonlist.NewConnectionsWriter(r.Stdout)
	if err != nil {
		return r.jsonWritten(err)
	}
	for {
		row, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, connections.ErrBlankLine) {
				fmt.Fprintln(r.Stderr, err)
			}
			out.Fail(err.Error())
			return listFailed
		}
		c := jsonlist.NewConnection(row)
		if err := out.Write(&c); err != nil {
			return r.jsonWritten(err)
		}
	}
	return r.jsonWritten(out.Close())
}

// jsonWritten is the outcome of writing JSON: a write error (such as a
// closed pipe) fails the listing, since a reader would get a truncated
// document.
func (r *Runner) jsonWritten(err error) Outcome {
	if err != nil {
		fmt.Fprintf(r.Stderr, "%s: writing JSON: %v\n", r.Prog, err)
		return listFailed
	}
	return ok
}
