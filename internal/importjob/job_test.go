package importjob

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/fault"
)

// TestCheckConfirmApply: the merchant's path. The upload is checked into a
// diff that says exactly what changes, nothing is written before the
// confirmation, and the import then applies in steps of 200 products, one
// purge log entry each, its progress counted to the whole file.
func TestCheckConfirmApply(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 450)
			s := f.service("w1")
			file := encode(edit(t, f.exported(t), "price", raise))
			j, err := s.Submit(ctx, "prices.csv", file, Options{UpdateOnly: true}, "owner@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if j.State != Checking {
				t.Fatalf("state after upload = %s, want checking", j.State)
			}
			workUntilIdle(t, s)
			j = mustGet(t, s, j.ID)
			if j.State != Checked || j.Summary == nil {
				t.Fatalf("after the check: state %s, summary %v", j.State, j.Summary)
			}
			if sum := j.Summary; sum.Updated != 450 || sum.Total != 900 || len(sum.Changes) != 900 || sum.AllErrors != 0 {
				t.Fatalf("diff: %d products updated, %d changes (%d shown), %d errors; want 450, 900, 900, 0", sum.Updated, sum.Total, len(sum.Changes), sum.AllErrors)
			}
			if c := j.Summary.Changes[0]; c.Field != "price" || c.Old != "10.00" || c.New != "11.00" {
				t.Fatalf("first change = %+v, want price 10.00 → 11.00", c)
			}
			if got := f.variants(t)["P0-A"][0]; got != 1000 {
				t.Fatalf("the check wrote: P0-A costs %d", got)
			}
			before := f.purges(t)
			if err := s.Confirm(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			workUntilIdle(t, s)
			j = mustGet(t, s, j.ID)
			if j.State != Done || j.Steps != 3 || j.StepsDone != 3 || j.RowsDone != 900 || j.Rows != 900 || j.Percent() != 100 {
				t.Fatalf("after applying: %+v", j)
			}
			for sku, v := range f.variants(t) {
				want := int64(1100)
				if strings.HasSuffix(sku, "-B") {
					want = 1300
				}
				if v[0] != want {
					t.Fatalf("%s costs %d, want %d", sku, v[0], want)
				}
			}
			if got := f.purges(t) - before; got != 3 {
				t.Fatalf("the import appended %d purge log entries, want 3 (one per step)", got)
			}
		})
	}
}

// TestOneImportAtATime: a second upload while one is being checked or
// applied is refused with a message naming the first; so is confirming
// a second checked import while another applies.
func TestOneImportAtATime(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 3)
			s := f.service("w1")
			file := encode(edit(t, f.exported(t), "price", raise))
			first, err := s.Submit(ctx, "first.csv", file, Options{}, "a@example.com")
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Submit(ctx, "second.csv", file, Options{}, "b@example.com")
			if fault.CodeOf(err) != fault.Conflict || !strings.Contains(fault.MessageOf(err), "first.csv") {
				t.Fatalf("second upload while the first is checked: %v, want a conflict naming first.csv", err)
			}
			workUntilIdle(t, s) // first: checked, the slot free
			second, err := s.Submit(ctx, "second.csv", file, Options{}, "b@example.com")
			if err != nil {
				t.Fatalf("upload after the first was checked: %v", err)
			}
			if err := s.Confirm(ctx, first.ID); fault.CodeOf(err) != fault.Conflict {
				t.Fatalf("confirming the first while the second is checked: %v, want a conflict", err)
			}
			workUntilIdle(t, s)
			if err := s.Confirm(ctx, first.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.Confirm(ctx, second.ID); fault.CodeOf(err) != fault.Conflict {
				t.Fatalf("confirming the second while the first is queued: %v, want a conflict", err)
			}
			if err := s.Cancel(ctx, second.ID); err != nil {
				t.Fatal(err)
			}
			if j := mustGet(t, s, second.ID); j.State != Cancelled {
				t.Fatalf("cancelled job is %s", j.State)
			}
			if err := s.Cancel(ctx, second.ID); fault.CodeOf(err) != fault.Conflict {
				t.Fatalf("cancelling twice: %v, want a conflict", err)
			}
		})
	}
}

// TestADeadWorkersJobIsTakenOver: a worker that stops after its first step
// without a word (its instance died) keeps the job until its lease runs
// out; then another worker goes on at the second step. No step is applied
// twice: a unit sold meanwhile stays sold, and the dead worker, should it
// wake, writes nothing more.
func TestADeadWorkersJobIsTakenOver(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 450)
			file := encode(edit(t, edit(t, f.exported(t), "price", raise), "stock", func(string) string { return "9" }))
			a, b := f.service("dead"), f.service("alive")
			j := confirmed(t, a, file, Options{UpdateOnly: true})
			stuck, wake := make(chan struct{}), make(chan struct{})
			a.afterStep = func(n int) {
				if n == 0 {
					close(stuck)
					<-wake // dead: no more steps, no release, no renewal
				}
			}
			deadDone := make(chan error, 1)
			go func() { _, err := a.Work(ctx); deadDone <- err }()
			<-stuck
			// A shopper buys one unit of a variant of the last step.
			sold := "P449-A"
			if _, err := f.db.Write.Exec(`UPDATE variants SET stock = stock - 1 WHERE sku = $1`, sold); err != nil {
				t.Fatal(err)
			}
			if worked, err := b.Work(ctx); worked || err != nil {
				t.Fatalf("another worker took the job while its lease held (worked %v, err %v)", worked, err)
			}
			f.clock.Add(2 * a.lease())
			workUntilIdle(t, b)
			close(wake)
			if err := <-deadDone; err != nil {
				t.Fatalf("the woken worker: %v", err)
			}
			j = mustGet(t, b, j.ID)
			if j.State != Done || j.StepsDone != 3 {
				t.Fatalf("after the takeover: state %s, %d of %d steps", j.State, j.StepsDone, j.Steps)
			}
			vs := f.variants(t)
			if vs["P0-A"] != [2]int64{1100, 9} || vs["P300-B"] != [2]int64{1300, 9} {
				t.Fatalf("P0-A %v, P300-B %v: want price raised and stock 9", vs["P0-A"], vs["P300-B"])
			}
			if vs[sold][1] != 8 {
				t.Fatalf("%s has stock %d, want 8: the file's 9 less the unit sold during the import", sold, vs[sold][1])
			}
		})
	}
}

// TestADrainedWorkerHandsOver: a worker whose instance stops hands its job
// over at once; the next worker needs no lease to run out.
func TestADrainedWorkerHandsOver(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 450)
			file := encode(edit(t, f.exported(t), "price", raise))
			a, b := f.service("drained"), f.service("next")
			j := confirmed(t, a, file, Options{})
			actx, drain := context.WithCancel(ctx)
			a.afterStep = func(n int) { drain() }
			if _, err := a.Work(actx); err != nil {
				t.Fatalf("drained worker: %v", err)
			}
			if j := mustGet(t, b, j.ID); j.StepsDone != 1 || j.State != Applying {
				t.Fatalf("after the drain: %s with %d steps done, want applying with 1", j.State, j.StepsDone)
			}
			workUntilIdle(t, b)
			if j := mustGet(t, b, j.ID); j.State != Done || j.StepsDone != 3 {
				t.Fatalf("after the handover: %s with %d steps", j.State, j.StepsDone)
			}
		})
	}
}

// TestUndoPutsTheCatalogBack: a finished import rolled back restores every
// changed field, archives the products it created and takes the variants
// it added off sale; stock returns to its level before the import less
// what sold since.
func TestUndoPutsTheCatalogBack(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 250)
			recs := edit(t, edit(t, f.exported(t), "price", raise), "stock", func(string) string { return "20" })
			// a new product, and a new variant of p-0
			newRow := append([]string(nil), recs[1]...)
			added := append([]string(nil), recs[1]...)
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			newRow[col["handle"]], newRow[col["name"]], newRow[col["sku"]] = "brand-new", "Brand new", "NEW-1"
			for _, c := range []string{"description", "brand", "status", "featured", "categories", "images"} {
				if i, ok := col[c]; ok && c == "images" {
					newRow[i] = ""
				}
			}
			added[col["sku"]], added[col["variant_name"]] = "P0-C", "C"
			for _, c := range []string{"name", "description", "brand", "status", "featured", "categories", "images"} {
				added[col[c]] = ""
			}
			recs = append(recs, added, newRow)
			s := f.service("w")
			j := confirmed(t, s, encode(recs), Options{})
			workUntilIdle(t, s)
			if j = mustGet(t, s, j.ID); j.State != Done {
				t.Fatalf("apply: %s %s", j.State, j.Error)
			}
			vs := f.variants(t)
			if vs["P0-A"] != [2]int64{1100, 20} || vs["NEW-1"][1] != 20 || vs["P0-C"][1] != 20 {
				t.Fatalf("applied: P0-A %v, NEW-1 %v, P0-C %v", vs["P0-A"], vs["NEW-1"], vs["P0-C"])
			}
			// Three units of P1-A sell after the import.
			if _, err := f.db.Write.Exec(`UPDATE variants SET stock = stock - 3 WHERE sku = 'P1-A'`); err != nil {
				t.Fatal(err)
			}
			if err := s.Undo(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			workUntilIdle(t, s)
			if j = mustGet(t, s, j.ID); j.State != Undone || j.StepsDone != 0 {
				t.Fatalf("undo: %s, %d steps still applied, %s", j.State, j.StepsDone, j.Error)
			}
			vs = f.variants(t)
			if vs["P0-A"] != [2]int64{1000, 5} || vs["P249-B"] != [2]int64{1200, 5} {
				t.Fatalf("rolled back: P0-A %v, P249-B %v, want 10.00/5 and 12.00/5", vs["P0-A"], vs["P249-B"])
			}
			if vs["P1-A"][1] != 2 {
				t.Fatalf("P1-A stock %d after the rollback, want 2: its 5 before the import less the 3 sold since", vs["P1-A"][1])
			}
			if vs["P0-C"][1] != 0 {
				t.Fatalf("the added variant P0-C has stock %d after the rollback, want 0 (off sale)", vs["P0-C"][1])
			}
			p, err := f.cat.ProductBySlug(ctx, "brand-new")
			if err == nil && p.Status != "archived" {
				t.Fatalf("the created product is %s after the rollback, want archived", p.Status)
			}
			if err := s.Undo(ctx, j.ID); fault.CodeOf(err) != fault.Conflict {
				t.Fatalf("second rollback: %v, want a conflict", err)
			}
		})
	}
}

// TestAFailedStepRollsBackTheImport: when a step fails for its data (a SKU
// the file adds was taken by the admin meanwhile), the steps already
// applied are rolled back and the job says which step failed and why:
// all or nothing, as `agora import` is.
func TestAFailedStepRollsBackTheImport(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 450)
			recs := edit(t, f.exported(t), "price", raise)
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			added := append([]string(nil), recs[len(recs)-1]...) // of the last product: the third step
			added[col["sku"]], added[col["variant_name"]] = "TAKEN-1", "C"
			recs = append(recs, added)
			s := f.service("w")
			j := confirmed(t, s, encode(recs), Options{})
			s.afterStep = func(n int) {
				if n == 0 { // the admin adds a variant with that SKU
					_, err := f.cat.AddVariant(ctx, mustProduct(t, f, "p-0"), catalog.NewVariant{SKU: "TAKEN-1", Name: "X", PriceCents: 100})
					if err != nil {
						t.Error(err)
					}
				}
			}
			workUntilIdle(t, s)
			j = mustGet(t, s, j.ID)
			if j.State != Failed || !strings.Contains(j.Error, "Step 3 of 3") || !strings.Contains(j.Error, "TAKEN-1") {
				t.Fatalf("job after the failed step: %s, %q", j.State, j.Error)
			}
			if j.StepsDone != 0 {
				t.Fatalf("%d steps still applied after the rollback", j.StepsDone)
			}
			if v := f.variants(t)["P0-A"]; v[0] != 1000 {
				t.Fatalf("P0-A costs %d after the failed import, want 1000 (rolled back)", v[0])
			}
		})
	}
}

// TestAChangedCatalogIsShownAgain: a file whose diff changed between the
// check and the confirmation (the merchant renamed a product meanwhile) is
// not applied unseen: it goes back to checked with the new diff.
func TestAChangedCatalogIsShownAgain(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 5)
			s := f.service("w")
			j, _ := s.Submit(ctx, "p.csv", encode(edit(t, f.exported(t), "price", raise)), Options{}, "o@example.com")
			workUntilIdle(t, s)
			name := "Renamed"
			if _, err := f.cat.UpdateProduct(ctx, mustProduct(t, f, "p-1"), catalog.ProductPatch{Name: &name}); err != nil {
				t.Fatal(err)
			}
			if err := s.Confirm(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			workUntilIdle(t, s)
			j = mustGet(t, s, j.ID)
			if j.State != Checked || !strings.Contains(j.Summary.Message, "changed since the check") {
				t.Fatalf("after the catalog changed: %s, %+v", j.State, j.Summary)
			}
			if v := f.variants(t)["P0-A"]; v[0] != 1000 {
				t.Fatal("applied without a second confirmation")
			}
			found := false
			for _, c := range j.Summary.Changes {
				found = found || (c.Field == "name" && c.Old == "Renamed")
			}
			if !found {
				t.Fatalf("the new diff does not show the name going back: %v", j.Summary.Changes)
			}
		})
	}
}

// TestARefusedFileSaysWhy: a file with problems is refused with its rows'
// problems, and frees the slot.
func TestARefusedFileSaysWhy(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 3)
			s := f.service("w")
			j, _ := s.Submit(ctx, "bad.csv", encode(edit(t, f.exported(t), "price", func(string) string { return "abc" })), Options{}, "o@example.com")
			workUntilIdle(t, s)
			j = mustGet(t, s, j.ID)
			if j.State != Refused || j.Summary.AllErrors != 6 || !strings.Contains(j.Summary.Message, "nothing was imported") {
				t.Fatalf("bad file: %s, %+v", j.State, j.Summary)
			}
			if _, err := s.Submit(ctx, "next.csv", []byte("x"), Options{}, "o@example.com"); err != nil {
				t.Fatalf("upload after a refused one: %v", err)
			}
			_, err := s.Submit(ctx, "empty.csv", nil, Options{}, "o@example.com")
			if fault.CodeOf(err) != fault.Invalid {
				t.Fatalf("empty upload: %v", err)
			}
		})
	}
}

func mustProduct(t *testing.T, f *fixture, slug string) int64 {
	t.Helper()
	p, err := f.cat.ProductBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", slug, err))
	}
	return p.ID
}

// TestAConfirmedUploadIsWrittenOnceChecked: `agora import` confirms
// beforehand; the file is checked and written by one worker pass, with
// the same steps, purges and report as the admin's.
func TestAConfirmedUploadIsWrittenOnceChecked(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 450)
			s := f.service("cli")
			before := f.purges(t)
			j, err := s.Submit(ctx, "p.csv", encode(edit(t, f.exported(t), "price", raise)), Options{Confirmed: true}, "agora import")
			if err != nil {
				t.Fatal(err)
			}
			if worked, err := s.Work(ctx); !worked || err != nil {
				t.Fatalf("one pass: worked %v, err %v", worked, err)
			}
			j = mustGet(t, s, j.ID)
			if j.State != Done || j.StepsDone != 3 || j.Summary == nil || j.Summary.Updated != 450 {
				t.Fatalf("after one pass: %s, %d steps, %+v", j.State, j.StepsDone, j.Summary)
			}
			if got := f.purges(t) - before; got != 3 {
				t.Fatalf("%d purge log entries, want 3", got)
			}
			if v := f.variants(t)["P7-B"]; v[0] != 1300 {
				t.Fatalf("P7-B costs %d, want 1300", v[0])
			}
		})
	}
}

// TestUndoRestoresAttributes: an import that edits one product's
// attributes and gives another its first ones shows each as a change in
// its check, applies them, and its rollback puts back the attributes as
// they were: the steps and their undo keep attributes through their JSON.
func TestUndoRestoresAttributes(t *testing.T) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, d, 3)
			p0, err := f.cat.ProductBySlug(ctx, "p-0")
			if err != nil {
				t.Fatal(err)
			}
			cotton := []catalog.Option{{Name: "Material", Value: "Cotton"}, {Name: "Fit", Value: "Slim"}}
			if _, err := f.cat.UpdateProduct(ctx, p0.ID, catalog.ProductPatch{Attributes: &cotton}); err != nil {
				t.Fatal(err)
			}
			recs := f.exported(t)
			col := slices.Index(recs[0], "attributes")
			for _, r := range recs[1:] {
				switch {
				case r[0] == "p-0" && r[col] != "":
					r[col] = "Material: Linen|Fit: Slim"
				case r[0] == "p-1" && r[1] != "": // its first row
					r[col] = "Origin: Portugal"
				}
			}
			s := f.service("w")
			j := confirmed(t, s, encode(recs), Options{})
			var changes []string
			for _, c := range j.Summary.Changes {
				changes = append(changes, c.Handle+" "+c.Field+" "+c.Old+" → "+c.New)
			}
			if want := []string{"p-0 attributes Material: Cotton → Material: Linen", "p-1 attributes  → Origin: Portugal"}; !slices.Equal(changes, want) {
				t.Fatalf("check: changes %q, want %q", changes, want)
			}
			workUntilIdle(t, s)
			if j = mustGet(t, s, j.ID); j.State != Done {
				t.Fatalf("apply: %s %s", j.State, j.Error)
			}
			attrs := func(slug string) []catalog.Option {
				t.Helper()
				p, err := f.cat.ProductBySlug(ctx, slug)
				if err != nil {
					t.Fatal(err)
				}
				return p.Attributes
			}
			if got := attrs("p-0"); !slices.Equal(got, []catalog.Option{{Name: "Material", Value: "Linen"}, {Name: "Fit", Value: "Slim"}}) {
				t.Fatalf("applied: p-0 %v", got)
			}
			if err := s.Undo(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
			workUntilIdle(t, s)
			if j = mustGet(t, s, j.ID); j.State != Undone {
				t.Fatalf("undo: %s %s", j.State, j.Error)
			}
			if got := attrs("p-0"); !slices.Equal(got, cotton) {
				t.Errorf("rolled back: p-0 %v, want %v", got, cotton)
			}
			if got := attrs("p-1"); len(got) != 0 {
				t.Errorf("rolled back: p-1 %v, want none", got)
			}
		})
	}
}
