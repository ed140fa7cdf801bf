#!/usr/bin/env python3
"""Verify the dev4 set: python3 check.py [set_dir] [shared_dir]
Hard failures (exit 1): id mismatches, bad element names/statuses, quotes that are not exact substrings,
evidence/values/dates on non-affirmed elements, affirmed elements without evidence, bad or out-of-range dates,
dates on elements that never carry dates, ages/sexes in the text that disagree with patients.csv, numeric dates
in the text that are impossible under the note's date_order, gold BP/HbA1c values absent from the text,
and any 10-word run shared with the notes in shared/data.
Warnings (printed for review): BP-like n/n pairs and n.n% values in the text that are not in the gold values."""
import json, csv, re, sys, pathlib, datetime as dt

D = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
SHARED = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else '/work/shared')
ELEMENTS = ['colonoscopy', 'flexible_sigmoidoscopy', 'ct_colonography', 'stool_dna', 'fobt', 'mammogram',
            'cervical_cytology', 'hpv_test', 'retinal_eye_exam', 'hba1c', 'blood_pressure', 'tobacco_use',
            'depression_screening', 'medication_reconciliation', 'advance_care_planning', 'influenza_vaccine',
            'pneumococcal_vaccine', 'diabetes', 'hypertension', 'colorectal_cancer', 'total_colectomy',
            'bilateral_mastectomy', 'hysterectomy_no_cervix', 'hospice', 'palliative_care', 'esrd', 'pregnancy']
DATED = set(ELEMENTS[:9]) | {'influenza_vaccine', 'pneumococcal_vaccine', 'total_colectomy',
                             'bilateral_mastectomy', 'hysterectomy_no_cervix'}
errors, warnings = [], []
def err(m): errors.append(m)
def warn(m): warnings.append(m)

notes = [json.loads(l) for l in open(D / 'notes.jsonl', encoding='utf-8')]
gold = [json.loads(l) for l in open(D / 'gold.jsonl', encoding='utf-8')]
pats = {r['patient_id']: r for r in csv.DictReader(open(D / 'patients.csv', encoding='utf-8'))}

# ---- ids
nid = [n['note_id'] for n in notes]; gid = [g['note_id'] for g in gold]
if nid != gid: err(f'note ids and gold ids differ / out of order')
if len(set(nid)) != len(nid): err('duplicate note ids')
expect = [f'l4-{i:03d}' for i in range(1, len(notes) + 1)]
if nid != expect: err(f'note ids are not l4-001..l4-{len(notes):03d}')
for n in notes:
    for k in ['note_id', 'patient_id', 'note_date', 'note_type', 'title', 'text', 'date_order']:
        if k not in n: err(f'{n.get("note_id")}: missing field {k}')
    if n['patient_id'] not in pats: err(f'{n["note_id"]}: patient {n["patient_id"]} not in patients.csv')
    if n['date_order'] not in ('mdy', 'dmy'): err(f'{n["note_id"]}: bad date_order')
used = {n['patient_id'] for n in notes}
for p in pats:
    if p not in used: err(f'patient {p} has no note')
    if not re.fullmatch(r'lp4-\d{3}', p): err(f'bad patient id {p}')
clinics = {r['clinic_id'] for r in pats.values()}
if len(clinics) != 3: err(f'expected 3 clinics, got {clinics}')
# one date_order per patient
po = {}
for n in notes: po.setdefault(n['patient_id'], set()).add(n['date_order'])
for p, s in po.items():
    if len(s) > 1: err(f'{p}: notes mix mdy and dmy')

LO, HI = dt.date(2026, 1, 5), dt.date(2026, 11, 30)
def parse_partial(s):
    """'YYYY', 'YYYY-MM', 'YYYY-MM-DD' -> (first day, last day) of that period"""
    m = re.fullmatch(r'(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?', s)
    if not m: return None
    y, mo, d = int(m[1]), m[2] and int(m[2]), m[3] and int(m[3])
    if d: x = dt.date(y, mo, d); return x, x
    if mo: return dt.date(y, mo, 1), dt.date(y, mo, 1)
    return dt.date(y, 1, 1), dt.date(y, 1, 1)

def age_on(b, d): return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
AGE_RE = re.compile(r'(?<![\d/.:-])(\d{2,3})(?:-year-old| year old| years old| ?yo\b| ?y/o\b|(?:yo|M|F)\b)')
SEXF = re.compile(r'\b(woman|lady|female|Mrs|Ms|Miss)\b'); SEXM = re.compile(r'\b(man|gentleman|male|Mr)\b')
NUMDATE = re.compile(r'(?<![\d/.])(\d{1,2})([/.])(\d{1,2})(?:\2(\d{2}|\d{4}))?(?![\d/])')

notes_by = {n['note_id']: n for n in notes}
for g in gold:
    n = notes_by.get(g['note_id']);
    if not n: continue
    t, i = n['text'], n['note_id']
    nd = dt.date.fromisoformat(n['note_date'])
    if not LO <= nd <= HI: err(f'{i}: note_date {nd} out of range')
    p = pats.get(n['patient_id'])
    bd = dt.date.fromisoformat(p['birth_date']) if p else None
    for k in ['elements', 'values', 'dates', 'evidence', 'not_affirmed_evidence']:
        if k not in g: err(f'{i}: gold missing {k}')
    el = g['elements']
    for e, s in el.items():
        if e not in ELEMENTS: err(f'{i}: unknown element {e}')
        if s not in ('affirmed', 'not_affirmed'): err(f'{i}: bad status {s} for {e}')
        if s == 'affirmed' and not g['evidence'].get(e): err(f'{i}: affirmed {e} without evidence')
        if s == 'not_affirmed' and not g['not_affirmed_evidence'].get(e): err(f'{i}: not_affirmed {e} without evidence')
    for k in ('evidence',):
        for e in g[k]:
            if el.get(e) != 'affirmed': err(f'{i}: evidence for non-affirmed {e}')
    for e in g['not_affirmed_evidence']:
        if el.get(e) != 'not_affirmed': err(f'{i}: not_affirmed_evidence for {e} which is {el.get(e)}')
    for k in ('evidence', 'not_affirmed_evidence'):
        for e, qs in g[k].items():
            for q in qs:
                if q not in t: err(f'{i}: {k}[{e}] quote not in text: {q!r}')
    # values
    v = g['values']
    for e in v:
        if e not in ('blood_pressure', 'hba1c', 'tobacco_use'): err(f'{i}: unexpected value key {e}')
        elif el.get(e) != 'affirmed': err(f'{i}: value for non-affirmed {e}')
    if el.get('blood_pressure') == 'affirmed' and not v.get('blood_pressure'): err(f'{i}: affirmed BP without readings')
    if el.get('hba1c') == 'affirmed' and not v.get('hba1c'): err(f'{i}: affirmed hba1c without values')
    if 'tobacco_use' in v and v['tobacco_use'] not in ('current', 'former', 'never'): err(f'{i}: bad tobacco value')
    bps = v.get('blood_pressure', [])
    if len({tuple(x) for x in bps}) != len(bps): err(f'{i}: duplicate BP reading in gold')
    for s_, d_ in bps:
        if not re.search(rf'(?<!\d){s_}/{d_}(?!\d)', t): err(f'{i}: BP {s_}/{d_} not in text')
    text_bp = [(int(a), int(b)) for a, b in re.findall(r'(?<![\d/.])(\d{2,3})/(\d{2,3})(?![\d/])', t)
               if 60 <= int(a) <= 260 and 30 <= int(b) <= 160 and int(a) > int(b)]
    for x in text_bp:
        if list(x) not in bps: warn(f'{i}: BP-like {x[0]}/{x[1]} in text not in gold values (check: goal/threshold/date?)')
    # order of appearance for BP
    pos = [t.find(f'{a}/{b}') for a, b in bps]
    if pos != sorted(pos): err(f'{i}: BP readings not in order of appearance')
    a1cs = v.get('hba1c', [])
    if len(set(a1cs)) != len(a1cs): err(f'{i}: duplicate hba1c value')
    for a in a1cs:
        if not re.search(rf'(?<![\d.]){a:g}(?:\.0)?(?![\d])', t) and not re.search(rf'(?<![\d.]){a:.1f}(?!\d)', t):
            mm = [int(x) for x in re.findall(r'(\d{2,3}) mmol/mol', t)]
            if not any(round(x / 10.929 + 2.15, 1) == a for x in mm):
                err(f'{i}: HbA1c {a} not in text (nor as a converted mmol/mol value)')
            else:
                warn(f'{i}: HbA1c {a} is a converted mmol/mol value (judgement call)')
    for pct in re.findall(r'(?<![\d.])(\d{1,2}\.\d) ?%', t):
        if float(pct) not in a1cs and 'A1c' in t: warn(f'{i}: {pct}% in text not in gold hba1c (check: goal/reference?)')
    # dates
    for e, ds in g['dates'].items():
        if el.get(e) != 'affirmed': err(f'{i}: dates for non-affirmed {e}')
        if e not in DATED: err(f'{i}: dates given for {e}, which takes no dates')
        for s in ds:
            r = parse_partial(s)
            if not r: err(f'{i}: bad date {s!r}'); continue
            if r[0] > nd: err(f'{i}: date {s} for {e} is after note date {nd}')
            if bd and r[0] < dt.date(bd.year, 1, 1): err(f'{i}: date {s} before birth year')
    # ages / sex
    if p:
        for m in AGE_RE.finditer(t):
            a = int(m[1]); tail = m.group(0)[len(m[1]):]
            if age_on(bd, nd) != a: err(f'{i}: stated age {m.group(0)!r} but birth {bd} gives {age_on(bd, nd)}')
            if tail in ('M', 'F') and tail != p['sex']: err(f'{i}: stated sex {tail} but patients.csv {p["sex"]}')
        if SEXF.search(t) and p['sex'] == 'M' and not SEXM.search(t): err(f'{i}: female words, male patient')
        if SEXM.search(t) and p['sex'] == 'F' and not SEXF.search(t): err(f'{i}: male words, female patient')
    # numeric dates valid under date_order
    for m in NUMDATE.finditer(t):
        a, b = int(m[1]), int(m[3])
        if m[2] == '.' and not m[4]: continue          # decimals like 6.5
        if m[2] == '/' and not m[4] and (a > 12 and b > 12): continue
        mo, d = (a, b) if n['date_order'] == 'mdy' else (b, a)
        if m[4] and not (1 <= mo <= 12 and 1 <= d <= 31):
            err(f'{i}: numeric date {m.group(0)} impossible under {n["date_order"]}')

# ---- copied text: any 10-word run shared with the shared notes (same rule as shared/tools/copied_from_shared.py)
W = re.compile(r'[a-z0-9]+'); NW = 10; grams = set()
for f in SHARED.glob('data/*/notes.jsonl'):
    for line in open(f, encoding='utf-8'):
        w = W.findall(json.loads(line)['text'].lower())
        grams.update(hash(tuple(w[k:k + NW])) for k in range(len(w) - NW + 1))
for n in notes:
    w = W.findall(n['text'].lower())
    for k in range(len(w) - NW + 1):
        if hash(tuple(w[k:k + NW])) in grams and sum(x.isalpha() for x in w[k:k + NW]) >= NW - 2:
            err(f'{n["note_id"]}: 10-word run shared with shared/data: {" ".join(w[k:k + NW])!r}')
if not grams: warn('no shared notes found for the copy check')

for w_ in warnings: print('WARN ', w_)
for e_ in errors: print('ERROR', e_)
print(f'{len(notes)} notes, {len(pats)} patients, {len(gold)} gold lines; {len(errors)} errors, {len(warnings)} warnings')
print('PASS' if not errors else 'FAIL')
sys.exit(1 if errors else 0)
