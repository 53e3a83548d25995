package command

import (
	"errors"
	"fmt"
	"io"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/jsonlist"
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
	}
	return r.servicesJSON(c, inc)
}

// servicesJSON lists every service, or the one c names, streaming one
// service (with its destinations) at a time. A listing of one service
// writes nothing unless it and its destinations could be read; a listing
// of all that fails midway ends its document with an "error" member.
func (r *Runner) servicesJSON(c *rule.Command, inc jsonlist.Include) Outcome {
	l, err := r.readListing(listedService(c), !c.List.NoSort)
	if err != nil {
		fmt.Fprintln(r.Stderr, err)
		return listFailed
	}
	// The writer buffers: nothing reaches r.Stdout before Close, Fail or
	// 32 KiB, so a listing of one service that fails prints nothing.
	out, err := jsonlist.NewServicesWriter(r.Stdout, jsonlist.NewIPVS(r.Info))
	if err != nil {
		return r.jsonWritten(err)
	}
	for s, err := range l.all() {
		if err != nil {
			fmt.Fprintln(r.Stderr, err)
			if !c.HasService {
				out.Fail(err.Error())
			}
			return listFailed
		}
		js := jsonlist.NewService(s.ServiceEntry, s.Destinations, inc)
		if err := out.Write(&js); err != nil {
			return r.jsonWritten(err)
		}
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
