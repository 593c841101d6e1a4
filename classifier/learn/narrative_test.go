package learn

import (
	"os"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/classifier"
)

// TestNarrativeEvalDefault scores the shipped narratives on the hand-written labelled sets
// (../testdata/narratives_{dev,test,holdout}.jsonl: scams, disasters, health claims, public
// service complaints, hate and threats, and posts that must match none: debunking
// articles, neutral news, criticism of authorities, everyday chat, reviews; with and
// without diacritics) and holds every narrative to precision ≥ 0.90 and recall ≥ 0.80 on
// each. The YAML files were tuned on the dev half and then on the misses of the test half
// and of the holdout set, so none of them is held out any more; models/README.md has the
// numbers each set gave before it was used. The subtest holdout2, written after that tuning
// and held out once, has since been tuned on too; it keeps a sanity floor (see holdout2).
// The subtest holdout3 was held out once for the rules; the learned narrative component
// is trained on it (and on the other four), so it is reported with a sanity floor only.
// The subtest holdout4 was held out once and has been tuned on since (see holdout4).
// The subtest holdout5 was held out once and has been tuned on since (see holdout5).
// The subtest holdout6 was held out once and has been tuned on since (see holdout6).
// The subtest holdout7 was held out once and has been tuned on since (see holdout7).
// The subtest holdout8 was held out once and has been tuned on since (see holdout8).
// Since the narr10 round (session 6) the learned component is trained on holdout4-8 too.
// The subtests holdout9 and holdout10 were held out once and have been tuned on since
// (session 6, narr13; see holdout9). The subtests holdout11 and holdout12 were held out
// once (session 7) and have been tuned on since (session 8, narr14; see holdout11).
// The subtests holdout13 and holdout14 were held out once (session 8) and have been tuned
// on since (session 8, narr15; see holdout13). The subtests holdout15 and holdout16 were
// held out once (session 8) and have been tuned on since (session 9, narr16; see
// holdout15). The subtests holdout17 and holdout18 were held out once (session 9) and have
// been tuned on since (session 10, narr17; see holdout17). The subtests holdout19 and
// holdout20 are held out (session 10; see holdout19): the learned component is not trained
// on them and their errors are not read.
func TestNarrativeEvalDefault(t *testing.T) {
	m := defaultModel(t)
	for _, half := range []string{"dev", "test", "holdout"} {
		t.Run(half, func(t *testing.T) {
			r := scoreNarrativeSet(t, m, half, 200)
			if len(r.Narratives) != 5 {
				t.Errorf("narratives scored: %v, want the five shipped ones", r.Narratives)
			}
			for _, id := range r.Narratives {
				c := r.PerNarrative[id]
				t.Logf("%-26s P %.3f R %.3f F1 %.3f n %d", id, c.Precision, c.Recall, c.F1, c.Support)
				if c.Support < 20 {
					t.Errorf("%s: only %d labelled posts", id, c.Support)
				}
				if c.Precision < 0.90 || c.Recall < 0.80 {
					var errs []string
					for _, e := range r.Errors {
						if e.Narrative == id {
							errs = append(errs, e.Kind+": "+e.Text)
						}
					}
					t.Errorf("%s: precision %.3f recall %.3f, want ≥ 0.90 and ≥ 0.80; errors:\n%s", id, c.Precision, c.Recall, strings.Join(errs, "\n"))
				}
			}
		})
	}
	t.Run("holdout2", holdout2)
	t.Run("holdout3", holdout3)
	t.Run("holdout4", holdout4)
	t.Run("holdout5", holdout5)
	t.Run("holdout6", holdout6)
	t.Run("holdout7", holdout7)
	t.Run("holdout8", holdout8)
	t.Run("holdout9", holdout9)
	t.Run("holdout10", holdout10)
	t.Run("holdout11", holdout11)
	t.Run("holdout12", holdout12)
	t.Run("holdout13", holdout13)
	t.Run("holdout14", holdout14)
	t.Run("holdout15", holdout15)
	t.Run("holdout16", holdout16)
	t.Run("holdout17", holdout17)
	t.Run("holdout18", holdout18)
	t.Run("holdout19", holdout19)
	t.Run("holdout20", holdout20)
}

// scoreNarrativeSet reads ../testdata/narratives_NAME.jsonl, which must hold at least
// minPosts posts, and scores m's narratives on it.
func scoreNarrativeSet(t *testing.T, m classifier.Model, name string, minPosts int) NarrativeReport {
	t.Helper()
	path := "../testdata/narratives_" + name + ".jsonl"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadNarrativeExamples(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) < minPosts {
		t.Fatalf("%s: %d posts, want at least %d", path, len(ex), minPosts)
	}
	return ScoreNarratives(m, ex)
}

// holdout2 reports the shipped narratives on
// ../testdata/narratives_holdout2.jsonl (271 posts), written after the narratives were
// tuned on the three sets above by an author who had read neither, and measured once as a
// held-out set (2026-12-07: macro P 0.931, R 0.708). On 2026-12-07 its misses were then
// used for tuning (general vocabulary and rules for the causes behind them, checked for
// new matches on the ../shared dev texts), so it is no longer held out: the figure it
// gives now (macro P 1.000, R 0.994) is a tuned-on figure, and the honest one for new
// text is the next set written after that tuning. The test logs the table and holds a
// sanity floor 0.05 under the tuned macro precision and recall.
func holdout2(t *testing.T) {
	// Held out once: macro precision 0.9310, recall 0.7078; after tuning on it: 1.000, 0.994.
	reportNarrativeFloor(t, "holdout2", 250, "tuned on (2026-12-07)", 0.95, 0.94, "tuned on: 1.000 / 0.994")
}

// holdout3 reports the shipped narratives on ../testdata/narratives_holdout3.jsonl (313
// posts): written on 2026-12-07 after the rules' latest tuning pass (commit f132353), by
// an author who had read neither the YAML files nor the other labelled sets, and
// measured once as a held-out set (rules alone: macro P 0.9282, R 0.7133, F1 0.7951,
// exact match 0.7764). Since then it is one of the five sets the learned narrative
// component (learned/narratives.tsv) is trained on, so it is no longer held out: the
// honest figure for new text is the leave-one-set-out cross-validation in
// models/README.md ("Learned narrative component"; holdout3 left out: macro P 0.929, R
// 0.841) and the next set written. The rules were not tuned on it. The test logs the
// table and holds a sanity floor 0.05 under the figure of the shipped model (trained
// on it: macro P 0.941, R 0.898).
func holdout3(t *testing.T) {
	// Held out once with the rules alone: 0.9282 / 0.7133. With the learned component
	// trained on it: 0.941 / 0.898; floor = that − 0.05.
	reportNarrativeFloor(t, "holdout3", 250, "trained on by the learned component", 0.891, 0.848, "shipped: 0.941 / 0.898")
}

// holdout4 reports the shipped narratives on ../testdata/narratives_holdout4.jsonl (363
// posts), written on 2026-12-07 by an author who had read only the narratives'
// definitions, committed before any scoring, and measured once as a held-out set (rules
// alone: macro P 0.913 R 0.648; with the learned component: P 0.907 R 0.774; per
// narrative in models/README.md). From 2026-12-07 (session 4) its misses and false
// matches were used to tune the rules (the learned component was not trained on it until
// the narr10 round, session 6, which added it to the training sets), so
// it is no longer held out: the figure it gives now (macro P 0.965, R 0.957) is a
// tuned-on figure, and the honest one for new text is the next set written. The test logs
// the table and holds a sanity floor 0.05 under the tuned figure.
func holdout4(t *testing.T) {
	// Held out once: 0.907 / 0.774; after tuning the rules on it: 0.965 / 0.957.
	reportNarrativeFloor(t, "holdout4", 330, "tuned on (2026-12-07, session 4)", 0.915, 0.907, "tuned on: 0.965 / 0.957")
}

// holdout5 reports the shipped narratives on ../testdata/narratives_holdout5.jsonl (429
// posts), written on 2026-12-07 (session 4) by an author who had read only the
// narratives' definitions, while the rules were being tuned on holdout4 by someone who
// never saw it; committed (e91efa6) before any scoring. Held out, it was scored once with
// the model of main before that tuning (macro P 0.879 R 0.753) and once after it (P 0.886
// R 0.793; per narrative in models/README.md). From 2026-12-07 (session 4, narr6) its
// misses and false matches were used to tune the rules (the learned component was not
// trained on it until the narr10 round, session 6), so it is no longer held out: the
// figure it gives now is a tuned-on figure (macro P 0.981, R 0.979 after narr6), and the
// honest one for new text is the next set written.
// The test logs the table and holds a sanity floor 0.05 under the tuned figure.
func holdout5(t *testing.T) {
	// Held out: before the session-4 tuning 0.879 / 0.753; after it 0.886 / 0.793.
	// After tuning the rules on it (narr6): 0.981 / 0.979.
	reportNarrativeFloor(t, "holdout5", 400, "tuned on (2026-12-07, session 4, narr6)", 0.931, 0.929, "tuned on: 0.981 / 0.979")
}

// holdout6 reports the shipped narratives on ../testdata/narratives_holdout6.jsonl (408
// posts), written on 2026-12-07 (session 4) by an author who had read only the
// narratives' definitions, while the narr6 round was tuned on holdout5 by someone who
// never saw it; committed (0a64be8) before any scoring. Held out, it was scored three
// times, each with a model fixed before and without reading its errors: before the narr6
// round macro P 0.833 R 0.742, after it 0.841 / 0.761, with the supportive negatives 0.850
// / 0.757 (per narrative in models/README.md). From 2026-12-07 (session 5, narr7) its
// misses and false matches were read to find general causes and the rules were tuned for
// them (the learned component was not trained on it until the narr10 round, session 6),
// so it is no longer held out: the
// figure it gives now (macro P 0.953, R 0.950) is a tuned-on figure, and the honest one
// for new text is the next set written. The test logs the table and holds a sanity floor
// 0.05 under the tuned figure.
func holdout6(t *testing.T) {
	// Held out: 0.833 / 0.742 → 0.841 / 0.761 → 0.850 / 0.757.
	// After tuning the rules on it (narr7): 0.953 / 0.950.
	reportNarrativeFloor(t, "holdout6", 400, "tuned on (2026-12-07, session 5, narr7)", 0.903, 0.900, "tuned on: 0.953 / 0.950")
}

// holdout7 reports the shipped narratives on ../testdata/narratives_holdout7.jsonl (432
// posts), written on 2026-12-07 (session 5) by an author who had read only the
// narratives' definitions, while the narr7 round was tuned on holdout6 by someone who
// never saw it; committed (b41fd8d) before any scoring. Held out, it was scored with
// models fixed before it: before narr7 macro P 0.825 R 0.739, after it 0.837 / 0.771,
// after the narr8 data round 0.855 / 0.779, after narr9 0.865 / 0.789, at the start of
// session 6 (branch punct, 558d98c) 0.870 / 0.782 (per narrative in models/README.md).
// Held out once, tuned on since (session 6, narr10): its errors were read to fix the
// rules and the learned component is trained on it, so the figure it gives now (macro
// P 0.971 R 0.902) is a tuned-on figure; the honest one for new text is the fold that
// leaves it out in the nested cross-validation (0.947 / 0.863) and the next sets
// written. The test logs the table and holds a sanity floor 0.05 under the tuned figure.
func holdout7(t *testing.T) {
	// Held out: 0.825 / 0.739 → 0.837 / 0.771 (narr7) → 0.855 / 0.779 (narr8) → 0.865 / 0.789 (narr9) → 0.870 / 0.782 (punct).
	// Tuned on (narr10): 0.971 / 0.902; left out in the nested cross-validation 0.947 / 0.863.
	reportNarrativeFloor(t, "holdout7", 420, "held out once, tuned on since (session 6, narr10)", 0.921, 0.852, "tuned on: 0.971 / 0.902")
}

// holdout8 reports the shipped narratives on ../testdata/narratives_holdout8.jsonl (438
// posts), written on 2026-12-07 (session 5) by an author who had read only the
// narratives' definitions (and holdout7's provenance page, to pick other topics), while
// the narr9 round was under way by someone who never saw it; committed (6a90d50) before
// any scoring. Held out, it was scored with models fixed before it: the model at the
// start of session 5 (78147d2) macro P 0.888 R 0.799, after narr7 0.893 / 0.823, after
// narr8 0.901 / 0.819, after narr9 0.901 / 0.812, at the start of session 6 (558d98c)
// 0.901 / 0.808. Held out once, tuned on since (session 6, narr10), like holdout7: the
// figure it gives now (macro P 0.975 R 0.894) is a tuned-on figure; the fold that
// leaves it out gives 0.965 / 0.843. The test logs the table and holds a sanity floor
// 0.05 under the tuned figure.
func holdout8(t *testing.T) {
	// Held out: 0.888 / 0.799 → 0.893 / 0.823 (narr7) → 0.901 / 0.819 (narr8) → 0.901 / 0.812 (narr9) → 0.901 / 0.808 (punct).
	// Tuned on (narr10): 0.975 / 0.894; left out in the nested cross-validation 0.965 / 0.843.
	reportNarrativeFloor(t, "holdout8", 420, "held out once, tuned on since (session 6, narr10)", 0.925, 0.844, "tuned on: 0.975 / 0.894")
}

// holdout9 and holdout10 report the shipped narratives on
// ../testdata/narratives_holdout9.jsonl and narratives_holdout10.jsonl (444 posts each),
// written on 2026-12-07 (session 6) by two authors who had read only the narratives'
// definitions (and holdout7's and holdout8's provenance pages, to pick other topics and
// places), while the narr10 round was tuned on holdout7 and holdout8 by someone who never
// saw them; both committed (8a601f2, f0871d6) before any scoring. Held out, their
// errors were not read to change the model. Scores held out, session 6: the model at its
// start (c41e48c) holdout9 macro P 0.848 R 0.652, holdout10 0.913 / 0.723; with clause
// breaks (punct) 0.851 / 0.649 and 0.913 / 0.723; after the narr10 round and the
// dev_indirect batch (narr11, chosen on the cross-validation before this scoring) 0.871 /
// 0.709 and 0.929 / 0.776; after the dev_hate2 and dev_scam2 batches (narr12, chosen by a
// rule fixed before its cross-validation finished) 0.875 / 0.732 and 0.925 / 0.766.
// Held out once, tuned on since (session 6, narr13), as holdout7/8 were in narr10: their
// errors were read to fix the rules in general causes and they are training sets of the
// learned component, so the figures they give now (with the narr12 learned file: holdout9
// macro P 0.952 R 0.956, holdout10 0.977 / 0.957) are tuned-on figures; newer judge sets
// measure new text. The tests log the tables and hold floors 0.05 under the tuned figures.
func holdout9(t *testing.T) {
	// Held out: 0.848 / 0.652 (c41e48c) → 0.851 / 0.649 (punct) → 0.871 / 0.709 (narr10+narr11) → 0.875 / 0.732 (narr12).
	// Tuned on (narr13 rules, narr12 learned file): 0.952 / 0.956.
	reportNarrativeFloor(t, "holdout9", 440, "held out once, tuned on since (session 6, narr13)", 0.902, 0.906, "tuned on: 0.952 / 0.956")
}

func holdout10(t *testing.T) {
	// Held out: 0.913 / 0.723 (c41e48c) → 0.913 / 0.723 (punct) → 0.929 / 0.776 (narr10+narr11) → 0.925 / 0.766 (narr12).
	// Tuned on (narr13 rules, narr12 learned file): 0.977 / 0.957.
	reportNarrativeFloor(t, "holdout10", 440, "held out once, tuned on since (session 6, narr13)", 0.927, 0.907, "tuned on: 0.977 / 0.957")
}

// holdout11 and holdout12 report the shipped narratives on
// ../testdata/narratives_holdout11.jsonl and narratives_holdout12.jsonl (445 posts each),
// written on 2026-12-07 (session 7) by two authors who had read only the narratives'
// definitions (and holdout7-10's provenance pages, to pick other topics and places),
// while holdout9 and holdout10 were opened and tuned on by someone who never saw them;
// both committed (13888dc, d69ee9d) before any scoring. Held out, their errors were not
// read (scored with `eval --errors 0`): at the session 7 start (de59d11) holdout11 macro P
// 0.846 R 0.728, holdout12 0.871 / 0.722; with the session 7 model 0.855 / 0.774 and
// 0.857 / 0.769 (rules alone 0.839 / 0.542 and 0.838 / 0.521).
// Held out once, tuned on since (session 8, narr14), as holdout9/10 were in narr13: their
// errors were read to fix the rules in general causes and they are training sets of the
// learned component, so the figures they give now are tuned-on figures; two newer judge
// sets measure new text. The tests log the tables and hold floors 0.05 under the tuned
// figures.
func holdout11(t *testing.T) {
	// Held out: 0.846 / 0.728 (de59d11) → 0.855 / 0.774 (session 7).
	// Tuned on (narr14 rules): rules alone 0.968 / 0.895; with the session 7 learned file 0.948 / 0.934;
	// with the regenerated file (trained on it) 0.970 / 0.944.
	reportNarrativeFloor(t, "holdout11", 440, "held out once, tuned on since (session 8, narr14)", 0.920, 0.894, "tuned on: 0.970 / 0.944")
}

func holdout12(t *testing.T) {
	// Held out: 0.871 / 0.722 (de59d11) → 0.857 / 0.769 (session 7).
	// Tuned on (narr14 rules): rules alone 0.979 / 0.905; with the session 7 learned file 0.957 / 0.947;
	// with the regenerated file (trained on it) 0.980 / 0.961.
	reportNarrativeFloor(t, "holdout12", 440, "held out once, tuned on since (session 8, narr14)", 0.930, 0.911, "tuned on: 0.980 / 0.961")
}

// holdout13 and holdout14 report the shipped narratives on
// ../testdata/narratives_holdout13.jsonl (459 posts: the South Central coast and the
// Northeast) and narratives_holdout14.jsonl (445: city life and online forms, heavy teencode),
// written on 2026-12-07 (session 8) by two authors who had read only the narratives'
// definitions (and holdout7-12's provenance pages, to pick other topics), while holdout11
// and holdout12 were opened and tuned on by someone who never saw them; both committed
// (cb21d91, 7b4c95b) before any scoring. Held out, their errors were not read (scored with
// `eval --errors 0`) at the session 8 start (ab06548) and with the narr14 model.
// Held out once, tuned on since (session 8, narr15), as holdout11/12 were in narr14: their
// errors were read to fix the rules in general causes and they are training sets of the
// learned component (holdout13 fold 0, holdout14 fold 2), so the figures they give now are
// tuned-on figures; two newer judge sets measure new text. The tests log the tables and
// hold floors 0.05 under the tuned figures.
func holdout13(t *testing.T) {
	// Held out: 0.912 / 0.811 (ab06548, the session's start) → 0.923 / 0.836 (session 8, narr14;
	// rules alone 0.907 / 0.655).
	// Tuned on (narr15 rules): rules alone 0.943 / 0.820; with the narr14 learned file 0.948 / 0.902;
	// with the regenerated file (trained on it) 0.951 / 0.953.
	reportNarrativeFloor(t, "holdout13", 450, "held out once, tuned on since (session 8, narr15)", 0.901, 0.903, "tuned on: 0.951 / 0.953")
}

func holdout14(t *testing.T) {
	// Held out: 0.910 / 0.810 (ab06548, the session's start) → 0.913 / 0.824 (session 8, narr14;
	// rules alone 0.896 / 0.626).
	// Tuned on (narr15 rules): rules alone 0.955 / 0.796; with the narr14 learned file 0.956 / 0.902;
	// with the regenerated file (trained on it) 0.961 / 0.941.
	reportNarrativeFloor(t, "holdout14", 440, "held out once, tuned on since (session 8, narr15)", 0.911, 0.891, "tuned on: 0.961 / 0.941")
}

// holdout15 and holdout16 report the shipped narratives on
// ../testdata/narratives_holdout15.jsonl (445 posts: Vietnamese abroad and returning workers,
// the Red River delta; long posts) and narratives_holdout16.jsonl (490: the far South-West
// and the Central Highlands' edges; very short posts, voice-to-text, emoji), written on
// 2026-12-07 (session 8) by two authors who had read only the narratives' definitions (and
// holdout7-14's provenance pages, to pick other topics), while holdout13 and holdout14
// were opened and tuned on (narr15) by someone who never saw them; both committed (60edda9,
// b22b523) before any scoring. Held out, their errors were not read (scored with `eval
// --errors 0`) with the narr14 and the narr15 model.
// Held out once, tuned on since (session 9, narr16), as holdout13/14 were in narr15: their
// errors were read to fix the rules in general causes and they are training sets of the
// learned component (holdout15 fold 3, holdout16 fold 4), so the figures they give now are
// tuned-on figures; two newer judge sets measure new text. The tests log the tables and
// hold floors 0.05 under the tuned figures.
func holdout15(t *testing.T) {
	// Held out: 0.867 / 0.760 (10697e8, narr14 rules and file) → 0.872 / 0.773 (narr15;
	// rules alone 0.874 / 0.625).
	// Tuned on (narr16 rules): rules alone 0.935 / 0.826; with the narr15 learned file 0.917 / 0.895;
	// with the regenerated file (trained on it) 0.941 / 0.921.
	reportNarrativeFloor(t, "holdout15", 440, "held out once, tuned on since (session 9, narr16)", 0.891, 0.871, "tuned on: 0.941 / 0.921")
}

func holdout16(t *testing.T) {
	// Held out: 0.913 / 0.669 (10697e8, narr14 rules and file) → 0.920 / 0.690 (narr15;
	// rules alone 0.919 / 0.511).
	// Tuned on (narr16 rules): rules alone 0.972 / 0.811; with the narr15 learned file 0.961 / 0.862;
	// with the regenerated file (trained on it) 0.976 / 0.925.
	reportNarrativeFloor(t, "holdout16", 480, "held out once, tuned on since (session 9, narr16)", 0.926, 0.875, "tuned on: 0.976 / 0.925")
}

// holdout17 and holdout18 report the shipped narratives on
// ../testdata/narratives_holdout17.jsonl (456 posts: the North Central coast and Central
// Highlands towns; industrial-zone workers, delivery drivers, traders and group admins, many
// written as replies in a comment thread) and narratives_holdout18.jsonl (465: young people
// online, with teencode and English, and older people's Zalo forwards; the Northwest and
// Hà Nội's outer districts), written on 2026-12-07 (session 9) by two authors who had read
// only the narratives' definitions (and holdout7-16's provenance pages, to pick other
// topics), while holdout15 and holdout16 were opened and tuned on (narr16) by someone who
// never saw them; both committed (cc01374, 07079d4) before any scoring. Held out, their
// errors were not read (scored with `eval --errors 0`) with the session 9 start's and the
// session 9 model.
// Held out once, tuned on since (session 10, narr17), as holdout15/16 were in narr16: their
// errors were read to fix the rules in general causes and they are training sets of the
// learned component (holdout17 fold 0, holdout18 fold 2), so the figures they give now are
// tuned-on figures; two newer judge sets measure new text. The tests log the tables and
// hold floors 0.05 under the tuned figures.
func holdout17(t *testing.T) {
	// Held out: 0.905 / 0.771 (12132d4, session 9's start) → 0.912 / 0.784 (session 9:
	// narr16 rules, the everyday fixes, dev_ordinary, the regenerated file; rules alone
	// 0.906 / 0.581).
	// Tuned on (narr17 rules): rules alone 0.984 / 0.934; with the session 9 learned file
	// 0.972 / 0.965; with the regenerated file (trained on it) 0.984 / 0.978.
	reportNarrativeFloor(t, "holdout17", 450, "held out once, tuned on since (session 10, narr17)", 0.934, 0.928, "tuned on: 0.984 / 0.978")
}

func holdout18(t *testing.T) {
	// Held out: 0.896 / 0.813 (12132d4) → 0.894 / 0.823 (session 9; rules alone
	// 0.882 / 0.635).
	// Tuned on (narr17 rules): rules alone 0.974 / 0.934; with the session 9 learned file
	// 0.965 / 0.947; with the regenerated file (trained on it) 0.975 / 0.953.
	reportNarrativeFloor(t, "holdout18", 460, "held out once, tuned on since (session 10, narr17)", 0.925, 0.903, "tuned on: 0.975 / 0.953")
}

// holdout19 and holdout20 report the shipped narratives on
// ../testdata/narratives_holdout19.jsonl (460 posts: the Southeast and the South Central
// coast; factory workers' groups, fishers, apartment residents, drivers, nurses, expats,
// long comments under news articles) and narratives_holdout20.jsonl (468: the Northeast and
// the midlands; forum threads with quotes, Reddit-style threads, Bluesky and Mastodon posts,
// news headlines, review comments), written on 2026-12-08 (session 10) by two authors who
// had read only the narratives' definitions (and holdout7-18's provenance pages, to pick
// other topics), while holdout17 and holdout18 were opened and tuned on (narr17) by someone
// who never saw them; both committed (c4df9ac, c7e044f) before any scoring. Held out: their
// errors are not read (scored with `eval --errors 0`). The tests log the tables and hold
// floors 0.05 under the shipped figures.
func holdout19(t *testing.T) {
	// Held out: 0.908 / 0.839 (e935942, session 10's start) → 0.916 / 0.870 (session 10:
	// narr17 rules and the regenerated file).
	reportNarrativeFloor(t, "holdout19", 455, "held out (session 10)", 0.866, 0.820, "held out: 0.916 / 0.870")
}

func holdout20(t *testing.T) {
	// Held out: 0.922 / 0.805 (e935942) → 0.911 / 0.823 (session 10).
	reportNarrativeFloor(t, "holdout20", 460, "held out (session 10)", 0.861, 0.773, "held out: 0.911 / 0.823")
}

// reportNarrativeFloor scores the shipped narratives on the labelled set name (at least
// minPosts posts), logs the table with status (how the set has been used) and fails when
// the macro precision or recall falls below the floor (ref: the figures the floor is
// measured from).
func reportNarrativeFloor(t *testing.T, name string, minPosts int, status string, floorP, floorR float64, ref string) {
	t.Helper()
	r := scoreNarrativeSet(t, defaultModel(t), name, minPosts)
	t.Logf("%s, reported: macro P %.3f R %.3f F1 %.3f exact %.3f", status, r.MacroPrecision, r.MacroRecall, r.MacroF1, r.ExactMatch)
	for _, id := range r.Narratives {
		c := r.PerNarrative[id]
		t.Logf("%-26s P %.3f R %.3f F1 %.3f n %d", id, c.Precision, c.Recall, c.F1, c.Support)
	}
	if r.MacroPrecision < floorP || r.MacroRecall < floorR {
		t.Errorf("macro precision %.3f recall %.3f fell below the floor %.3g / %.3g (%s)", r.MacroPrecision, r.MacroRecall, floorP, floorR, ref)
	}
}

// TestScoreNarratives checks the arithmetic on a tiny set: one true positive, one false
// positive, one false negative for scam.
func TestScoreNarratives(t *testing.T) {
	m := defaultModel(t)
	ex := []NarrativeExample{
		{Text: "Cảnh giác chiêu lừa đảo giả danh công an gọi điện đòi chuyển tiền", Narratives: []string{"scam"}},
		{Text: "Bên mình bị lừa đảo mất 5 triệu qua mạng", Narratives: nil},
		{Text: "Hôm nay trời đẹp quá", Narratives: []string{"scam"}},
	}
	r := ScoreNarratives(m, ex)
	c := r.PerNarrative["scam"]
	if c.Precision != 0.5 || c.Recall != 0.5 || c.Support != 2 {
		t.Errorf("scam: %+v, want precision 0.5 recall 0.5 support 2", c)
	}
	if r.None != 1 || r.NoneClean != 0 || len(r.Errors) != 2 {
		t.Errorf("none %d clean %d errors %v", r.None, r.NoneClean, r.Errors)
	}
}
