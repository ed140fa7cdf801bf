"""The hand-written demo cases: one ``Case`` per patient, with the designer's expected outcomes.

Measurement period 2026-01-01..2026-12-31; ages are at 2026-12-31. Every note below was written
for this demo (synthetic people, synthetic text). Each case states, in ``expect``, the outcome the
published measure logic gives for the data of that case; read the case's notes before changing one.
"""

from __future__ import annotations

from demo_kit import Case, born, ehr, mts, soap

N, R, E = "clinic-north", "clinic-riverside", "clinic-eastgate"
CASES: list[Case] = []


def case(num: int, birth: str, sex: str, clinic: str, provider: str, line: str) -> Case:
    c = Case(f"demo-{num:03d}", birth, sex, clinic, provider, line)
    CASES.append(c)
    return c


# --------------------------------------------------------------------------------------------
# Colorectal cancer screening (COL-E) family, with other measures riding along
# --------------------------------------------------------------------------------------------

c = case(1, born(58, "04-12"), "M", N, "prov-n1", "commercial")
c.note("2026-02-17", "Office Visit", "Annual physical", ehr(
    ("CHIEF COMPLAINT", "Annual exam, f/u HTN."),
    ("HPI", "58 y/o M here for yearly physical. HTN on lisinopril 20 mg, no missed doses. Checks BP "
            "at the pharmacy occasionally. No CP, SOB, HA. Sleeping ok."),
    ("PMH", "1. HTN dx 2017\n2. Hyperlipidemia\n3. Colon polyps"),
    ("PSH", "Colonoscopy 03/2019 - 2 small tubular adenomas removed, repeat in 5 yrs was advised "
            "(overdue, pt aware)\nR inguinal hernia repair 2009"),
    ("FAMILY HISTORY", "Father MI at 66. Mother alive, osteoporosis."),
    ("SOCIAL HISTORY", "Married, works as an electrician. Never smoker. 2-3 beers on weekends."),
    ("MEDICATIONS", "lisinopril 20 mg daily\natorvastatin 40 mg qhs"),
    ("IMMUNIZATIONS", "Tdap 2021. Flu vaccine 10/2024 at Walgreens; did not get one this season."),
    ("VITALS", "BP 138/86 | HR 72 | T 98.1 | Wt 204 lb | BMI 29.3"),
    ("PHYSICAL EXAM", "Gen: NAD\nCV: RRR, no m/r/g\nLungs: CTAB\nAbd: soft, NT"),
    ("ASSESSMENT AND PLAN", "1. Essential hypertension - at goal today, continue lisinopril.\n"
                            "2. HLD - continue statin, lipids today.\n"
                            "3. Hx adenomatous polyps - surveillance colonoscopy recommended, GI "
                            "referral placed."),
))
c.expect("COL-E", "closed", "", "colonoscopy 03/2019 (history, PSH) is inside the 10-year window; "
         "the overdue surveillance recommendation does not reopen it")
c.expect("CBP", "closed", "", "HTN; most recent day 08/20 (nurse visit): lowest 130/80; 02/17 was 138/86")
c.expect("BCS-E", "not_in_population", "", "male")
c.expect("AIS-E", "open", "evidence_too_old", "last flu shot 10/2024, before the July 2025 - June 2026 "
         "season; 2026 note only recommends it", group="influenza")

c = case(2, "1980-12-30", "F", R, "prov-r1", "medicaid")
c.note("2026-04-22", "Office Visit", "Well woman visit", mts(
    ("SUBJECTIVE", "The patient is a 45-year-old G2P2 female who presents for her annual gynecologic "
                   "and preventive visit.  She has no complaints today.  Periods are regular.  She "
                   "returned her FIT kit earlier this month, and it was negative.  Her last mammogram "
                   "was 11/2024, BI-RADS 1, and she is due for the next one this fall.  Her last Pap "
                   "smear with HPV cotesting was in 2022 and both were negative."),
    ("PAST MEDICAL HISTORY", "Migraine without aura.  Iron deficiency anemia in 2019."),
    ("SOCIAL HISTORY", "She works as a school bus driver.  She does not smoke.  Rare alcohol."),
    ("FAMILY HISTORY", "Maternal aunt with breast cancer at age 70."),
    ("MEDICATIONS", "Sumatriptan p.r.n."),
    ("OBJECTIVE", "Vitals:  Blood pressure 118/74, pulse 68, weight 161 pounds.\nBreasts:  No masses, "
                  "no skin changes, no axillary adenopathy.\nPelvic:  Deferred, cotesting up to date."),
    ("ASSESSMENT", "Routine preventive visit.  Colorectal screening with FIT, 04/2026, negative."),
    ("PLAN", "1.  Screening mammogram to be scheduled in November.\n2.  Repeat FIT in one year.\n"
             "3.  Cotest due 2027."),
), enc="preventive_40_64")
c.expect("COL-E", "closed", "", "turns 46 on 2026-12-30 (age-band edge); FIT negative 04/2026 in the MP")
c.expect("BCS-E", "closed", "", "mammogram 11/2024 is after Oct 1 2024 (27-month window edge)")
c.expect("CCS", "closed", "", "Pap+HPV cotest 2022 at age 41-42: HPV 5-year window (Pap alone would be "
    "too old)")

c = case(3, "1981-01-02", "M", E, "prov-e1", "commercial")
c.note("2026-05-06", "Office Visit", "New patient visit", ehr(
    ("CHIEF COMPLAINT", "Establish care. Heartburn."),
    ("HISTORY OF PRESENT ILLNESS", "45yo male new to clinic, moved from Ohio. Intermittent heartburn "
     "after large meals x 6 mo, better with OTC famotidine. No dysphagia, no melena, no wt loss."),
    ("PAST MEDICAL HISTORY", "GERD. Seasonal allergies."),
    ("SOCIAL HISTORY", "Software engineer. Married, 2 kids. Tobacco: denies. EtOH 1-2 drinks/wk."),
    ("SCREENING", "PHQ-2 score 0 (negative)."),
    ("VITALS", "BP 124/78, P 64, BMI 27.1"),
    ("ASSESSMENT AND PLAN", "1. GERD - trial of omeprazole 20 mg daily x 8 wk, lifestyle measures.\n"
     "2. Health maintenance - discussed colon cancer screening now recommended at 45; referred for "
     "screening colonoscopy, GI will call to schedule."),
), enc="office")
c.expect("COL-E", "not_in_population", "", "age 45 at end of MP (born 1981-01-02); the colonoscopy "
         "referral does not matter")
c.expect("DSF-E", "closed", "", "PHQ-2 = 0, negative screen at the visit", group="1")
c.expect("TSC", "closed", "", "'Tobacco: denies' documents a never-user status in the MP", group="3")

c = case(4, "1951-01-05", "F", N, "prov-n2", "medicare")
c.note("2026-03-03", "Office Visit", "Medicare annual wellness visit", ehr(
    ("REASON FOR VISIT", "Annual Wellness Visit (subsequent)"),
    ("PROBLEMS", "HFpEF (dx 2024) on furosemide, NYHA II-III; osteopenia; hearing loss."),
    ("HEALTH RISK ASSESSMENT", "Lives with her son. Independent in ADLs/IADLs. No falls in past year. "
     "Hearing ok with aids."),
    ("PREVENTIVE SERVICES", "Colonoscopy: 2017, normal per pt, GI said no further screening needed "
     "after 75.\nMammogram: 2/2026 BI-RADS 2 benign.\nBone density: 2023 osteopenia.\n"
     "Pneumococcal: Prevnar 20 given 9/2024.\nShingrix: series complete 2022."),
    ("ADVANCE CARE PLANNING", "Pt has a living will on file (copy scanned 2021) and reviewed it with me "
     "today; no changes. Health care proxy is her son Daniel. Wishes DNR if terminal condition."),
    ("VITALS", "BP 128/70, HR 70, Wt 142 lb"),
    ("DEPRESSION SCREEN", "PHQ-2: 0"),
    ("PLAN", "Continue current care. RTC 6 mo."),
), enc="awv")
c.event("advanced_illness", "2026-03-03", "I50.32", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("advanced_illness", "2026-10-01", "I50.32", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.expect("COL-E", "closed", "", "age 75 (upper edge, in band); colonoscopy 2017 = first year of the "
         "10-year window, year precision")
c.expect("BCS-E", "not_in_population", "", "age 75, above 74, despite a 2026 mammogram")
c.expect("ACP", "closed", "", "66-80 with advanced illness (heart failure coded at two visits); living "
         "will reviewed and health care proxy named in the MP")
c.expect("AIS-E", "closed", "", "Prevnar 20 given 9/2024", group="pneumococcal")

c = case(5, "1950-12-29", "M", E, "prov-e2", "aco")
c.note("2026-06-09", "Office Visit", "Follow up", ehr(
    ("CC", "3 month f/u, knee OA"),
    ("HPI", "76 yo M w/ bilateral knee OA, using diclofenac gel with some benefit. Walks with cane, "
     "difficulty walking more than a block. "
     "Denies falls. Has never had a colonoscopy and is not interested at his age, per pt."),
    ("PMH", "OA knees, BPH, hearing loss"),
    ("MEDS", "diclofenac 1% gel, tamsulosin 0.4 mg"),
    ("CODE STATUS", "Full code."),
    ("IMMUNIZATIONS", "Offered pneumococcal vaccine (PCV20) - pt declines, states he 'never gets "
     "shots'."),
    ("VITALS", "BP 132/76 HR 66"),
    ("A/P", "1. OA - continue topical, PT referral.\n2. BPH stable.\n3. RTC 3 mo."),
), enc="office_low")
c.expect("COL-E", "not_in_population", "", "age 76, above 75")
c.event("frailty", "2026-06-09", "R26.2", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("frailty", "2026-09-08", "E0100", "HCPCS", "fhir:DeviceRequest")  # a cane: a frailty device
c.expect("ACP", "open", "no_evidence", "66-80 with frailty (difficulty walking, a cane: two dates); "
         "'Code status: full code' alone is not advance care planning")
c.expect("AIS-E", "open", "declined", "declines pneumococcal vaccine, none ever documented", group="pneumococcal")
c.expect("AIS-E", "open", "no_evidence", "no influenza vaccine documented anywhere", group="influenza")

c = case(6, born(62, "08-30"), "M", R, "prov-r2", "commercial")
c.note("2026-01-27", "Office Visit", "Asthma follow-up", mts(
    ("CHIEF COMPLAINT", "Asthma follow up."),
    ("HISTORY OF PRESENT ILLNESS", "61-year-old gentleman, known mild persistent asthma, "
     "who is doing well on Symbicort.  He uses albuterol maybe once a week.  No nighttime "
     "awakenings.  He is a former smoker, he quit in 2005, 20 pack-year history."),
    ("HEALTH MAINTENANCE", "He had a colonoscopy in 2016 that was normal.  He received Pneumovax in "
        "2020 because of his asthma."),
    ("PHYSICAL EXAMINATION", "Blood pressure 126/80.  Lungs are clear, no wheezing."),
    ("ASSESSMENT", "Mild persistent asthma, well controlled."),
    ("PLAN", "Continue Symbicort 160/4.5 two puffs b.i.d.  Return in six months."),
))
c.note("2026-09-15", "Telephone Encounter", "Refill request", soap(
    ("", "Pt called requesting Symbicort refill, using rescue inhaler 1-2x/wk w/ the wildfire smoke. "
         "Last OV 1/2026. Refill sent x 6 mo. Advised to call if needing albuterol daily. -- RN"),
), enc="telephone")
c.expect("COL-E", "open", "evidence_too_old", "colonoscopy 2016 is one year before the 10-year "
         "window (2017-2026)")
c.expect("TSC", "closed", "", "former smoker, quit 2005, documented 01/2026", group="3")
c.expect("AIS-E", "not_in_population", "", "age 62, under 65 (Pneumovax 2020 does not matter)", group="pneumococcal")

c = case(7, born(55, "02-14"), "F", E, "prov-e1", "commercial")
c.note("2026-07-14", "Office Visit", "Annual physical", ehr(
    ("Chief Complaint", "Physical"),
    ("History of Present Illness", "55 yo F for CPE. Feels well. Postmenopausal since 51, occasional "
     "hot flashes. Cologuard 6/2024 was negative. She has never had a mammogram, 'always meant to'."),
    ("Social History", "Never smoker. Teaches 3rd grade."),
    ("Vitals", "BP 122/76 P 70 Ht 5'5\" Wt 150"),
    ("Assessment and Plan", "- Health maintenance: screening mammogram ordered, scheduled 12/2026 at "
     "Eastgate Imaging.\n- CRC screening UTD (Cologuard 2024), next due 6/2027.\n- Lipids, CMP today."),
    colon=True), enc="preventive_40_64")
c.expect("COL-E", "closed", "", "Cologuard 6/2024 is inside the 3-year sDNA window (2024-2026)")
c.expect("BCS-E", "open", "only_ordered", "mammogram only ordered/scheduled for 12/2026; the "
         "last one is unknown")

c = case(8, born(67, "11-03"), "M", N, "prov-n1", "medicare")
c.note("2026-02-05", "Office Visit", "Follow up COPD", ehr(
    ("CC", "COPD f/u"),
    ("HPI", "67M with severe COPD and chronic hypoxic respiratory failure (2 L O2 at night), on "
        "Trelegy. One exacerbation in Nov treated with prednisone. "
     "Had flu shot 10/2025 at his pharmacy. Pneumovax 2018, no PCV20 yet."),
    ("SOCIAL", "Ex-smoker, quit 2019 (45 pk-yr)."),
    ("SCREENING", "Cologuard 2023 negative per pt (done through his old PCP)."),
    ("ADVANCE CARE PLANNING", "Long discussion with pt and his wife Linda today about goals of care "
     "given progressive COPD. He would not want intubation or CPR. POLST completed: DNR/DNI, "
     "limited interventions. Copy given to pt and scanned to chart."),
    ("VITALS", "BP 134/72, HR 88, SpO2 92% RA"),
    ("A/P", "COPD GOLD 3 - continue Trelegy, pulm rehab referral. POLST as above."),
))
c.note("2026-12-10", "Discharge Summary", "Hospital discharge summary", ehr(
    ("ADMISSION DATE", "12/06/2026"),
    ("DISCHARGE DATE", "12/10/2026"),
    ("DIAGNOSIS", "Acute exacerbation of COPD"),
    ("HOSPITAL COURSE", "Treated with nebulized bronchodilators, IV methylprednisolone, then prednisone "
     "taper, azithromycin. Weaned to room air."),
    ("DISPOSITION", "Home with wife. PCP follow-up in 7 days."),
    colon=True), enc="inpatient", enc_start="2026-12-06", enc_end="2026-12-10", provider_id="prov-hosp1")
c.expect("COL-E", "open", "evidence_too_old", "Cologuard 2023 is one year before the 3-year sDNA window")
c.event("advanced_illness", "2026-02-05", "J96.11", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("advanced_illness", "2026-12-08", "J96.11", "ICD10CM", "fhir:Condition:encounter-diagnosis")  # inpatient
c.expect("ACP", "closed", "", "66-80 with advanced illness (at a visit and an inpatient stay); "
         "goals-of-care discussion and POLST DNR/DNI in 02/2026")
c.expect("AIS-E", "closed", "", "Pneumovax 2018", group="pneumococcal")
c.expect("AIS-E", "closed", "", "flu shot 10/2025 falls in the July 2025 - June 2026 season",
         group="influenza")
c.expect("TRC-MRP", "not_in_population", "", "discharged 2026-12-10, after the Dec 1 cutoff")
c.expect("TSC", "closed", "", "ex-smoker, quit 2019", group="3")

c = case(9, born(52, "06-21"), "F", R, "prov-r1", "commercial")
c.note("2026-03-19", "Office Visit", "Annual exam", ehr(
    ("CC", "annual exam"),
    ("HPI", "52 y/o female here for yearly exam. S/p total abdominal hysterectomy with BSO 2015 for "
     "fibroids/menorrhagia, benign path. No vaginal bleeding. Never had a colonoscopy; prefers a "
     "stool test."),
    ("SOCIAL HISTORY", "Nonsmoker. Married. Accountant."),
    ("VITALS", "BP 116/72  HR 74  BMI 24"),
    ("A/P", "1. CRC screening - Cologuard kit ordered, to be mailed to home.\n2. Screening mammogram "
     "ordered.\n3. No further cervical cancer screening needed s/p TAH."),
), enc="preventive_40_64")
c.note("2026-04-08", "Radiology Report", "MAMMOGRAPHY SCREENING BILATERAL W/ TOMO", ehr(
    ("EXAM", "Bilateral screening mammogram with tomosynthesis, 04/08/2026."),
    ("HISTORY", "52 year old female, routine screening. No complaints."),
    ("COMPARISON", "03/2023."),
    ("FINDINGS", "The breasts are heterogeneously dense, which may obscure small masses. No suspicious "
     "mass, calcification or architectural distortion."),
    ("IMPRESSION", "BI-RADS 1: Negative. Recommend annual screening mammography."),
    colon=True), enc="mammogram", provider_id="prov-rad1")
c.note("2026-10-01", "Telephone Encounter", "Cologuard reminder", soap(
    ("", "Called pt re: Cologuard kit mailed in April, lab shows not returned. Pt says it is 'still "
         "in the bathroom closet', will send it this month. -- MA"),
), enc="telephone")
c.expect("COL-E", "open", "only_ordered", "Cologuard kit ordered and mailed, never returned")
c.expect("BCS-E", "closed", "", "screening mammogram report 04/08/2026")
c.expect("CCS", "excluded", "", "total abdominal hysterectomy (no cervix)")

c = case(10, born(49, "09-09"), "M", E, "prov-e2", "medicaid")
c.note("2026-08-11", "Office Visit", "Back pain", mts(
    ("SUBJECTIVE", "This is a 49-year-old gentleman with low back pain for two weeks after moving "
     "furniture.  No radiation, no bowel or bladder symptoms.  He had a flexible sigmoidoscopy in "
     "2022 that was normal, done at the VA."),
    ("SOCIAL HISTORY", "He smokes about half a pack per day."),
    ("OBJECTIVE", "BP 128/82.  Paraspinal tenderness on the left.  Negative straight leg raise.  "
                  "Strength 5/5."),
    ("ASSESSMENT", "Acute lumbar strain.\nTobacco use."),
    ("PLAN", "1.  Ibuprofen, heat, stretches.\n2.  Smoking cessation counseled for 5 minutes, he "
             "accepted a nicotine patch prescription 21 mg."),
), enc="office_low")
c.expect("COL-E", "closed", "", "flexible sigmoidoscopy 2022 = first year of the 5-year window")
c.expect("TSC", "closed", "", "current smoker with cessation counseling and nicotine patch in the MP", group="3")

c = case(11, born(60, "03-28"), "F", N, "prov-n2", "aco")
c.note("2026-05-20", "Office Visit", "Follow up hypothyroidism", ehr(
    ("CC", "f/u hypothyroid"),
    ("HPI", "60F, hypothyroidism on levothyroxine 88 mcg, TSH 2.1 last month. Energy good. Flexible "
     "sigmoidoscopy 2021 at outside hospital, normal to 60 cm. Declines mammogram again this year - "
     "'too painful', we discussed 3D and a longer appointment, still declines."),
    ("VITALS", "BP 130/78, HR 62"),
    ("A/P", "Hypothyroidism stable, same dose. CRC screening: flex sig from 2021, discussed options."),
))
c.expect("COL-E", "open", "evidence_too_old", "flexible sigmoidoscopy 2021 is one year before the "
         "5-year window")
c.expect("BCS-E", "open", "declined", "declines mammogram, no mammogram documented")

c = case(12, born(53, "10-17"), "M", R, "prov-r2", "commercial")
c.note("2026-03-24", "Office Visit", "Diabetes follow-up", ehr(
    ("CHIEF COMPLAINT", "DM2 follow up"),
    ("HPI", "53 yo M w/ DM2 x 6 yrs on metformin 1000 bid + empagliflozin. Checking sugars fasting "
     "110-140. No hypoglycemia. CT colonography (virtual colonoscopy) 8/2022 - no polyps, per "
     "report in media tab."),
    ("PMH", "Type 2 diabetes mellitus\nObesity\nOSA on CPAP"),
    ("SOCIAL HISTORY", "never smoker; drinks socially"),
    ("VITALS", "BP 126/80, HR 76, Wt 238 lb"),
    ("LABS", "Hemoglobin A1c 7.2% (03/20/2026)"),
    ("EXAM", "Feet: monofilament intact bilat, no ulcers.\nFundi: not examined."),
    ("ASSESSMENT AND PLAN", "DM2 - A1c 7.2, A1c goal < 7, so add semaglutide 0.25 mg weekly. "
     "Recheck A1c in 3 months. Eye exam - sees Dr. Okafor (ophthalmology), due in Sept."),
))
c.note("2026-09-29", "Ophthalmology", "Diabetic eye exam", ehr(
    ("REASON FOR VISIT", "Annual diabetic eye exam."),
    ("HISTORY", "53M DM2, no visual complaints."),
    ("VISUAL ACUITY", "cc OD 20/20 OS 20/25"),
    ("IOP", "15/16 by applanation"),
    ("DILATED FUNDUS EXAM", "Dilated with 1% tropicamide / 2.5% phenylephrine. Disc: c/d 0.3 OU, "
     "sharp margins. Macula: flat, no edema. Vessels: normal caliber. Periphery: flat, no heme, no "
     "exudates, no neovascularization OU."),
    ("ASSESSMENT", "Type 2 diabetes mellitus without retinopathy, both eyes."),
    ("PLAN", "Repeat dilated exam in 12 months. Letter sent to PCP."),
    colon=True), enc="ophthalmology", provider_id="prov-oph1")
c.expect("COL-E", "closed", "", "CT colonography 8/2022 inside the 5-year window")
c.expect("GSD-POOR", "closed", "", "most recent A1c 6.9% (06/30; 7.2% in March); 'A1c goal < 7' is a target")
c.expect("GSD-CONTROL", "closed", "", "most recent A1c 6.9% < 8")
c.expect("EED", "closed", "", "dilated fundus exam by ophthalmology 09/2026, no retinopathy")

c = case(13, born(57, "05-05"), "F", E, "prov-e1", "medicaid")
c.note("2026-02-10", "Office Visit", "Sinus symptoms", soap(
    ("S", "57F c/o 10 d nasal congestion, facial pressure, no fever. Hx FIT negative 11/2025 - "
          "mailed kit program."),
    ("O", "T 98.6 BP 124/70. Maxillary sinus ttp, TMs clear."),
    ("A", "Acute rhinosinusitis, likely viral."),
    ("P", "Saline rinses, fluticasone nasal. RTC prn."),
), enc="office_low")
c.expect("COL-E", "open", "evidence_too_old", "FIT 11/2025 is outside the FOBT window (MP only)")

c = case(14, born(64, "07-19"), "M", N, "prov-n1", "medicaid")
c.note("2026-06-16", "Office Visit", "Preventive visit", ehr(
    ("CC", "Physical"),
    ("HPI", "64 yo M. Smoker, 1 ppd x 40 yrs, has cut down to 1/2 ppd. Wants to quit before he "
     "retires."),
    ("HEALTH MAINTENANCE", "CRC screening discussed at length (colonoscopy vs Cologuard vs FIT). Pt "
     "declines colonoscopy and also declines stool testing, says 'nobody in my family had it, I "
     "feel fine.' Risks of not screening explained."),
    ("VITALS", "BP 128/84 HR 80"),
    ("A/P", "1. Tobacco use disorder - counseled >3 min on cessation; start varenicline 0.5 mg "
     "titration pack; quit date 7/1.\n2. CRC screening - declined, revisit next visit.\n3. Lung "
     "cancer screening LDCT ordered."),
), enc="preventive_40_64")
c.event("tobacco_use", "2026-06-16", "72166-2", "LOINC", "fhir:Observation", value="current")
c.event("tobacco_cessation_counseling", "2026-06-16", "99406", "CPT", "fhir:Procedure")
c.expect("COL-E", "open", "declined", "declines colonoscopy and stool tests, no screening ever")
c.expect("TSC", "closed", "", "current smoker, counseled + varenicline in the MP (also in structured data)", group="3")

c = case(15, born(59, "12-01"), "M", R, "prov-r1", "aco")
c.note("2026-04-14", "Office Visit", "Follow up gout", mts(
    ("HISTORY OF PRESENT ILLNESS", "59-year-old gentleman with gout, seen today for "
     "follow up.  No flares since starting allopurinol.  He had a colonoscopy at some point, "
     "doesn't remember when, maybe in his 50s, and does not remember where it was done."),
    ("MEDICATIONS", "Allopurinol 300 mg daily."),
    ("PHYSICAL EXAMINATION", "Blood pressure 134/84.  No tophi.  Joints without effusion."),
    ("ASSESSMENT AND PLAN", "Gout, controlled.  Uric acid today.  Will try to obtain prior "
     "colonoscopy records."),
), enc="office_low")
c.expect("COL-E", "open", "undated_evidence", "colonoscopy history with no usable date")

c = case(16, born(48, "01-30"), "F", E, "prov-e2", "commercial")
c.note("2026-08-25", "Office Visit", "New patient", ehr(
    ("CHIEF COMPLAINT", "Establish care"),
    ("HPI", "48 y/o F new pt. No acute concerns. Never had a colonoscopy or any colon cancer "
     "screening. Mammogram 01/2026 normal at Women's Imaging."),
    ("FAMILY HISTORY", "Mother had colon cancer at 62, alive. Father - HTN, DM2. Sister healthy."),
    ("SOCIAL HISTORY", "Denies tobacco. Wine 2-3/wk. Works as paralegal."),
    ("VITALS", "BP 112/70 P 66"),
    ("A/P", "1. Family hx of colon cancer in first-degree relative - discussed increased risk, she "
     "wants to talk to her husband about it first.\n2. RTC 1 yr."),
), enc="office")
c.expect("COL-E", "open", "no_evidence", "never screened; mother's colon cancer is family history, "
         "not an exclusion")
c.expect("BCS-E", "closed", "", "mammogram 01/2026")

c = case(17, born(70, "02-02"), "M", N, "prov-n2", "medicare")
c.note("2026-03-08", "Discharge Summary", "Discharge summary", ehr(
    ("ADMISSION DATE", "03/04/2026"),
    ("DISCHARGE DATE", "03/08/2026"),
    ("PRINCIPAL DIAGNOSIS", "Community-acquired pneumonia, RLL"),
    ("SECONDARY DIAGNOSES", "Essential hypertension; CKD stage 3a; BPH"),
    ("HOSPITAL COURSE", "Admitted with fever and hypoxia. Ceftriaxone + azithromycin, transitioned to "
     "oral cefpodoxime. Lisinopril held for AKI (Cr 1.9 -> 1.3), resume at PCP discretion."),
    ("DISCHARGE MEDICATIONS", "cefpodoxime 200 mg bid x 3 more days; amlodipine 10 mg daily; "
     "tamsulosin 0.4 mg qhs"),
    colon=True), enc="inpatient", enc_start="2026-03-04", enc_end="2026-03-08",
   provider_id="prov-hosp1")
c.note("2026-03-15", "Office Visit", "Hospital follow-up", ehr(
    ("CC", "Post-hospital f/u, pneumonia"),
    ("HPI", "70M seen 1 wk after discharge (3/4-3/8) for RLL CAP. Finished abx. Cough improving, no "
     "fever. Brought all his pill bottles."),
    ("MEDICATION RECONCILIATION", "Medications reconciled against the discharge summary and the "
     "bottles he brought: lisinopril remains on hold (was on it pre-admission), amlodipine 10 mg "
     "continued, tamsulosin continued, antibiotic completed. Updated list given to pt."),
    ("VITALS", "BP 132/80, HR 78, SpO2 96%"),
    ("EXAM", "Lungs: few crackles RLL. Rectal: prostate smooth, enlarged, guaiac negative."),
    ("A/P", "1. CAP resolving - CXR in 6 wks.\n2. HTN - controlled off lisinopril, keep holding.\n"
     "3. Refused flu vaccine today."),
), enc="tcm")
c.note("2026-10-20", "Office Visit", "Follow up HTN, CKD", ehr(
    ("CC", "6 mo f/u"),
    ("HPI", "Feels well. No further infections. Fell twice this summer getting out of bed, no "
     "injury. Home BP cuff broken."),
    ("VITALS", "BP 148/92 (R arm, seated). Repeat after 5 min 136/88. HR 70."),
    ("ADVANCE CARE PLANNING", "Not addressed today - will discuss advance directives at next visit, "
     "gave pt the state advance directive booklet."),
    ("IMMUNIZATIONS", "Flu vaccine offered again - pt refuses, 'got sick from it in 1998'."),
    ("A/P", "1. HTN - at goal on repeat, continue amlodipine. If BP > 160/100 at home call us.\n"
     "2. CKD 3a - BMP today.\n3. BPH stable."),
))
c.expect("COL-E", "open", "no_evidence", "only a guaiac on a digital rectal exam (does not count)")
c.expect("CBP", "closed", "", "most recent day 10/20: lowest 136/88 after repeat; the 'if BP > 160' "
         "line is an instruction")
c.expect("TRC-MRP", "closed", "", "discharged 3/8, medication reconciliation documented 3/15")
c.event("frailty", "2026-10-20", "Z91.81", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("frailty", "2026-03-15", "Z91.81", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.expect("ACP", "open", "only_ordered", "66-80 with frailty (history of falls coded on two dates); "
         "advance directives only planned for next visit, booklet given")
c.expect("AIS-E", "open", "declined", "refused the flu vaccine on 3/15 and 10/20/2026; AIS-E has no "
         "exception (FLU/CMS147 excepted a patient reason)", group="influenza")

c = case(18, born(66, "06-06"), "F", R, "prov-r2", "medicare")
c.note("2026-04-28", "Office Visit", "Follow up", mts(
    ("HISTORY OF PRESENT ILLNESS", "65-year-old lady, past history of stage II "
     "adenocarcinoma of the sigmoid colon status post sigmoid colectomy in 2020 followed by "
     "adjuvant FOLFOX.  Surveillance colonoscopy was not done last year.  She is here for routine "
     "follow up of her hypothyroidism."),
    ("PHYSICAL EXAMINATION", "BP 124/76.  Abdomen with well-healed midline scar."),
    ("ASSESSMENT", "1.  History of colon cancer, no evidence of recurrence by CEA in January.\n"
                   "2.  Hypothyroidism."),
    ("PLAN", "Surveillance colonoscopy referral to GI.  TSH today."),
))
c.expect("COL-E", "excluded", "", "history of sigmoid colon adenocarcinoma")

c = case(19, born(51, "04-04"), "M", E, "prov-e1", "commercial")
c.note("2026-07-07", "Office Visit", "Physical", ehr(
    ("HPI", "51 yo M for annual. Ulcerative colitis dx age 22, s/p total proctocolectomy with IPAA "
     "(J-pouch) 2012. Pouch doing well, 5-6 BMs/day. Dips Copenhagen daily x 30 yrs."),
    ("VITALS", "BP 126/82 P 72"),
    ("A/P", "1. UC s/p TPC - pouchoscopy per GI.\n2. Smokeless tobacco use - counseled on quitting, "
     "pt declined medication, will try to cut down on his own.\n3. Labs."),
    colon=True), enc="preventive_40_64")
c.expect("COL-E", "excluded", "", "total proctocolectomy (total colectomy)")
c.expect("TSC", "closed", "", "smokeless tobacco = current user; cessation counseling given "
         "(declining medication does not undo it)", group="3")

c = case(20, born(71, "10-10"), "F", N, "prov-n1", "medicare")
c.note("2026-04-02", "Telephone Encounter", "Hospice enrollment", soap(
    ("", "Spoke with daughter (HCP). Pt enrolled in hospice today with Northside Hospice for metastatic "
         "pancreatic ca. DNR in place. Hospice RN to manage symptoms; we will stay involved as "
         "attending. -- Dr. N1"),
), enc="telephone")
c.encounter("enc-020-h1", "hospice", "2026-04-02", "2026-07-18")
c.event("hospice", "2026-04-02", "385763009", "SNOMEDCT", "fhir:Procedure", end_date="2026-07-18")
c.expect("COL-E", "excluded", "", "hospice in the MP")
c.expect("BCS-E", "excluded", "", "hospice in the MP")

c = case(21, born(56, "03-15"), "M", R, "prov-r1", "commercial")
c.note("2026-06-02", "Office Visit", "Knee pain", ehr(
    ("CC", "L knee pain"),
    ("HPI", "56M, L knee pain x 3 wks after pickup basketball, swelling resolved, catching sensation "
     "with stairs. No locking."),
    ("VITALS", "BP 130/84 P 70"),
    ("EXAM", "L knee: small effusion, medial joint line tenderness, + McMurray."),
    ("A/P", "Probable medial meniscus tear - MRI L knee, sports med referral, NSAID prn."),
), enc="office_low")
c.event("colonoscopy", "2021-05-10", "45378", "CPT", "fhir:Procedure")
c.expect("COL-E", "closed", "", "claims colonoscopy CPT 45378 on 2021-05-10; notes never mention it")

c = case(22, born(47, "11-21"), "M", E, "prov-e2", "medicaid")
c.note("2026-03-31", "Office Visit", "Follow up anxiety", mts(
    ("SUBJECTIVE", "He is a 47-year-old male following up for generalized anxiety disorder on "
     "escitalopram 10 mg.  He feels about 70% better.  Sleeping better.  He had a colonoscopy 5 years "
     "ago for rectal bleeding which showed internal hemorrhoids only."),
    ("OBJECTIVE", "BP 118/76.  GAD-7 score 6, down from 14."),
    ("ASSESSMENT", "Generalized anxiety disorder, improving."),
    ("PLAN", "Continue escitalopram.  Follow up in 3 months."),
), enc="office_low")
c.expect("COL-E", "closed", "", "'colonoscopy 5 years ago' resolves to 2021 against the 2026 note date")

c = case(23, born(63, "09-25"), "F", N, "prov-n1", "aco")
c.note("2026-01-13", "Office Visit", "Follow up", ehr(
    ("HPI", "63F f/u osteoporosis on alendronate. Hx R hemicolectomy 2018 for a large benign "
     "cecal polyp that couldn't be removed endoscopically. Last colonoscopy 3/14/19, no recurrence, "
     "GI recommended 7 yr interval."),
    ("PMH", "osteoporosis, hypothyroidism, s/p R hemicolectomy"),
    ("VITALS", "BP 112/68"),
    ("A/P", "Osteoporosis - DEXA due 2027, continue alendronate, Ca/vit D."),
    colon=True), enc="office_low")
c.note("2026-07-21", "Office Visit", "Annual exam", ehr(
    ("CC", "annual"),
    ("HPI", "Doing well. No GI symptoms, BMs normal."),
    ("PREVENTIVE", "Mammo 2/2026 neg. Colonoscopy March 2019. Pap - aged out after normal hx? pt is 63, "
     "last Pap 2021 normal."),
    ("VITALS", "BP 118/70 HR 64"),
    ("A/P", "Routine labs. Flu shot in fall."),
    colon=True), enc="preventive_40_64")
c.expect("COL-E", "closed", "", "colonoscopy 3/14/19 (m/d/yy); a right hemicolectomy is partial, not an "
    "exclusion")
c.expect("BCS-E", "closed", "", "mammogram 2/2026")
c.expect("CCS", "open", "evidence_too_old", "age 63, last Pap 2021, outside the 3-year window (no HPV test)")

c = case(24, born(68, "05-17"), "M", R, "prov-r2", "medicare")
c.note("2026-02-19", "Office Visit", "Follow up", soap(
    ("S", "68M here after his screening colonoscopy last month at Riverside Endoscopy - 3 polyps "
          "removed, path tubular adenomas, repeat in 3 yrs per GI letter. No bleeding since. Also "
          "asks about the shingles shot."),
    ("O", "BP 126/74 HR 68 Wt 181"),
    ("A", "Tubular adenomas of colon. Preventive care."),
    ("P", "Shingrix #1 given today. Copy of colonoscopy report to chart."),
), enc="office_low")
c.expect("COL-E", "closed", "", "colonoscopy 'last month' resolves to 01/2026")

c = case(25, born(54, "08-08"), "F", E, "prov-e1", "commercial")
c.note("2026-04-28", "Telephone Encounter", "Colonoscopy prep", soap(
    ("", "Reviewed colonoscopy prep instructions with pt for her screening colonoscopy 5/12: clear "
         "liquids day before, split-dose PEG, hold iron 5 days prior. Pt verbalized understanding. "
         "-- Endo RN"),
), enc="telephone")
c.note("2026-05-12", "Procedure Note", "Colonoscopy", mts(
    ("PROCEDURE", "Colonoscopy with cold snare polypectomy."),
    ("INDICATION", "Average-risk screening, 54-year-old female, first colonoscopy."),
    ("SEDATION", "Monitored anesthesia care with propofol."),
    ("DESCRIPTION OF PROCEDURE", "Consent obtained after risks were explained; she was positioned "
     "in the left lateral decubitus position.  Digital rectal exam was normal.  The colonoscope was advanced without "
     "difficulty to the cecum, identified by the appendiceal orifice and ileocecal valve.  Boston "
     "Bowel Prep Score 8.  A 5 mm sessile polyp in the transverse colon was removed with cold snare "
     "and retrieved.  Small internal hemorrhoids on retroflexion.  Withdrawal time 9 minutes."),
    ("IMPRESSION", "1.  One 5 mm transverse colon polyp, removed.\n2.  Internal hemorrhoids."),
    ("RECOMMENDATIONS", "Await pathology.  Repeat colonoscopy in 7-10 years depending on pathology."),
), enc="colonoscopy_biopsy", provider_id="prov-gi1")
c.expect("COL-E", "closed", "", "colonoscopy procedure note dated 2026-05-12 (prep call before is only "
    "planned)")

c = case(26, born(72, "12-12"), "M", N, "prov-n2", "aco")
c.note("2024-11-05", "Office Visit", "Annual wellness", ehr(
    ("HPI", "70M AWV. Former smoker, quit about 10 years ago, 30 pk-yr. Walks daily."),
    ("PREVENTIVE", "Colonoscopy 2018 - diverticulosis, no polyps."),
    ("VITALS", "BP 136/78"),
    ("PLAN", "AAA screening US ordered."),
    colon=True), enc="awv")
c.note("2026-05-12", "Office Visit", "Rash", soap(
    ("S", "72M w/ itchy rash on both shins x 2 wks, new laundry detergent."),
    ("O", "BP 128/78. Erythematous scaly patches bilateral anterior shins, no vesicles."),
    ("A/P", "Contact dermatitis - triamcinolone 0.1% cream bid x 2 wks, switch detergent."),
), enc="office_low")
c.event("colonoscopy", "2018-07-16", "45380", "CPT", "fhir:Procedure")
c.expect("COL-E", "closed", "", "colonoscopy 2018 in a 2024 note and in claims (CPT 45380, 2018-07-16)")
c.expect("TSC", "open", "evidence_too_old", "tobacco status only documented in 2024; none in the MP", group="3")

# --------------------------------------------------------------------------------------------
# Breast (BCS-E) and cervical (CCS) cancer screening family
# --------------------------------------------------------------------------------------------

c = case(27, born(44, "07-07"), "F", R, "prov-r1", "commercial")
c.note("2026-05-27", "Office Visit", "Annual exam", ehr(
    ("Chief Complaint", "Annual"),
    ("HPI", "44F, healthy. Last mammogram 09/2024, normal. Pap/HPV cotest 2023 negative. Runs 3x/wk."),
    ("Social History", "Never smoker. Married."),
    ("Vitals", "BP 108/66, P 58"),
    ("Plan", "Cotest due 2028. RTC 1 yr."),
    colon=True), enc="preventive_40_64")
c.expect("BCS-E", "open", "evidence_too_old", "mammogram 09/2024 is one month before the Oct 1 2024 "
         "window start")
c.expect("CCS", "closed", "", "Pap/HPV cotest 2023 at age 41: HPV 5-year window")

c = case(28, born(58, "03-03"), "F", E, "prov-e2", "medicare")
c.note("2026-09-08", "Office Visit", "Follow up", mts(
    ("HISTORY OF PRESENT ILLNESS", "58-year-old woman, past history of left breast "
     "cancer in 2015, BRCA2 positive, status post bilateral mastectomy with reconstruction in 2015, "
     "on no current therapy, who comes in for blood pressure follow up.  She has essential "
     "hypertension diagnosed in 2020."),
    ("MEDICATIONS", "Losartan 50 mg daily."),
    ("PHYSICAL EXAMINATION", "VITAL SIGNS:  Blood pressure 132/84, pulse 76.\nCHEST:  Bilateral "
     "reconstructed breasts, no masses."),
    ("ASSESSMENT", "1.  Essential hypertension, controlled.\n2.  History of breast cancer."),
    ("PLAN", "Continue losartan."),
))
c.expect("BCS-E", "excluded", "", "bilateral mastectomy 2015")
c.expect("CBP", "closed", "", "HTN since 2020; 132/84 in 09/2026")

c = case(29, born(41, "02-22"), "F", N, "prov-n1", "medicaid")
c.note("2026-02-24", "Office Visit", "Breast lump", ehr(
    ("CC", "L breast lump"),
    ("HPI", "41F noticed a pea-sized lump L breast 2 wks ago. No nipple d/c. No FH breast ca. "
     "Last Pap 2023, NILM, no HPV done."),
    ("EXAM", "L breast 1 cm mobile rubbery mass at 2 o'clock, no skin changes. No axillary LAD."),
    ("VITALS", "BP 114/72"),
    ("A/P", "L breast mass - diagnostic mammogram + US ordered."),
    colon=True), enc="office_low")
c.note("2026-03-04", "Radiology Report", "DIAGNOSTIC MAMMOGRAM LEFT WITH ULTRASOUND", ehr(
    ("EXAM", "Diagnostic mammogram left breast and targeted ultrasound, 03/04/2026"),
    ("FINDINGS", "Corresponding to the palpable area at 2:00, a 9 mm oval circumscribed mass. US: "
     "simple cyst."),
    ("IMPRESSION", "Simple cyst left breast. BI-RADS 2 benign. Routine screening at age 42."),
    colon=True), enc="mammogram", provider_id="prov-rad1")
c.expect("BCS-E", "not_in_population", "", "age 41 (under 42), even with a 2026 mammogram")
c.expect("CCS", "open", "evidence_too_old", "last Pap 2023, outside 2024-2026; 'Pap due' is only planned")

c = case(30, born(66, "01-19"), "F", R, "prov-r2", "medicare")
c.note("2026-10-06", "Office Visit", "Follow up", ehr(
    ("HPI", "66F f/u GERD and L shoulder pain. Shoulder improved with PT. History of L breast DCIS "
     "s/p L mastectomy 2012, no radiation."),
    ("VITALS", "BP 120/70"),
    ("A/P", "GERD - continue pantoprazole. Shoulder - home exercises."),
    colon=True), enc="office_low")
c.event("unilateral_mastectomy_left", "2012-05-21", "0HTU0ZZ", "ICD10PCS", "fhir:Procedure")
c.event("mammogram", "2025-03-02", "77067", "CPT", "fhir:Procedure")
c.expect("BCS-E", "closed", "", "claims screening mammogram 2025-03-02; one-sided mastectomy does not "
    "exclude")

c = case(31, born(69, "06-30"), "F", E, "prov-e1", "aco")
c.note("2026-06-23", "Office Visit", "Breast pain", soap(
    ("S", "69F, R breast pain x 1 mo, cyclical? postmenopausal. Has never had a mammogram - "
          "'never saw the need'. Had a breast ultrasound 2025 for the same pain, told it was fine."),
    ("O", "BP 138/82. No masses, no skin change, no LAD."),
    ("A", "Mastalgia, benign exam."),
    ("P", "Supportive bra, NSAID prn. Discussed breast imaging, pt will think about it."),
), enc="office_low")
c.expect("BCS-E", "open", "no_evidence", "never had a mammogram; breast ultrasound does not count")

c = case(32, born(62, "09-14"), "F", N, "prov-n2", "commercial")
c.note("2026-08-18", "Office Visit", "Annual exam", ehr(
    ("HPI", "62F annual. Hx bilateral breast cancer: R mastectomy 2016 and L mastectomy 2019, both "
     "at outside hospital, no reconstruction. Off anastrozole since 2024."),
    ("VITALS", "BP 118/72"),
    ("A/P", "Routine. Breast surveillance per oncology."),
    colon=True), enc="preventive_40_64")
c.event("unilateral_mastectomy_right", "2016-04-11", "0HTT0ZZ", "ICD10PCS", "fhir:Procedure")
c.event("unilateral_mastectomy_left", "2019-10-02", "0HTU0ZZ", "ICD10PCS", "fhir:Procedure")
c.expect("BCS-E", "excluded", "", "right (2016) and left (2019) unilateral mastectomies")

c = case(33, born(26, "04-25"), "F", R, "prov-r1", "medicaid")
c.note("2026-03-12", "Office Visit", "Low mood", ehr(
    ("Chief Complaint", "Feeling down"),
    ("HPI", "26 yo F with 2 months of low mood, poor sleep, low motivation since breakup and job "
     "loss. No SI/HI. No prior psych hx. Last Pap 6/2025 NILM. Completed Gardasil series in high "
     "school."),
    ("Screening", "PHQ-9 = 12 (moderate). GAD-7 = 9. C-SSRS negative."),
    ("Social History", "Smokes 3-4 cigarettes/day, occasional vape. EtOH 1-2/wk."),
    ("Vitals", "BP 110/68, HR 84"),
    ("Assessment/Plan", "1. Major depressive disorder, single episode, moderate - start sertraline 25 "
     "mg x 1 wk then 50 mg. Referral to behavioral health (in-house LCSW) placed today, warm handoff "
     "done.\n2. Tobacco use - pt not ready to talk about quitting, declines counseling and NRT today."),
    colon=True), enc="office")
c.expect("CCS", "closed", "", "Pap 6/2025 within 3 years")
c.expect("DSF-E", "closed", "", "PHQ-9 = 12: screened", group="1")
c.expect("DSF-E", "closed", "", "PHQ-9 = 12 positive, same-day referral and sertraline (within 30 days)",
         group="2")
c.expect("TSC", "open", "declined", "current smoker, declines cessation help", group="3")

c = case(34, born(35, "10-02"), "F", E, "prov-e2", "commercial")
c.note("2026-07-28", "Office Visit", "Annual exam", mts(
    ("SUBJECTIVE", "35-year-old G3P3 here for annual exam.  Status post laparoscopic supracervical "
     "hysterectomy in 2019 for adenomyosis, ovaries retained.  Has not had a Pap smear since the "
     "surgery."),
    ("OBJECTIVE", "BP 122/78.  Pelvic exam deferred by patient preference."),
    ("ASSESSMENT", "Well woman.  Cervix remains in situ."),
    ("PLAN", "Discussed that with the cervix in place the usual cervical screening guidelines still "
             "apply to her."),
), enc="preventive_18_39")
c.expect("CCS", "open", "no_evidence", "supracervical hysterectomy keeps the cervix: no exclusion, no Pap")

c = case(35, born(44, "12-05"), "F", N, "prov-n1", "medicaid")
c.note("2026-05-05", "Office Visit", "New patient", ehr(
    ("HPI", "44F establishing care. s/p hysterectomy (pt unsure of type) for bleeding, 2017. "
     "No Pap since. Mammogram 3/12/25 benign."),
    ("SOCIAL HISTORY", "denies smoking, denies drugs"),
    ("VITALS", "BP 124/80"),
    ("A/P", "Request op note to clarify hysterectomy type. RTC 3 mo."),
    colon=True), enc="office")
c.expect("CCS", "open", "no_evidence", "hysterectomy of unstated type is no exclusion; no cervical screening")
c.expect("BCS-E", "closed", "", "mammogram 3/12/25 (m/d/yy)")

c = case(36, born(32, "01-14"), "F", R, "prov-r2", "commercial")
c.note("2026-09-22", "Office Visit", "Fatigue", ehr(
    ("CC", "tired all the time"),
    ("HPI", "32F with fatigue x 3 mo, works nights as an ICU nurse. Last Pap 2022 normal with HPV "
     "negative. Gardasil x3 as a teen."),
    ("SCREENING", "PHQ-9: 11"),
    ("VITALS", "BP 112/70 P 76"),
    ("A/P", "Fatigue - CBC, TSH, ferritin, CMP. Likely shift-work related, sleep hygiene reviewed."),
    colon=True), enc="office")
c.expect("CCS", "open", "evidence_too_old", "Pap 2022 too old; the 2022 HPV test was at age 28, under 30")
c.expect("DSF-E", "closed", "", "PHQ-9 = 11: screened", group="1")
c.expect("DSF-E", "open", "no_evidence", "PHQ-9 = 11 (positive) with no follow-up documented within 30 days",
         group="2")

c = case(37, born(29, "08-19"), "F", E, "prov-e1", "medicaid")
c.note("2026-02-03", "Office Visit", "Contraception", soap(
    ("S", "29F here for OCP refill. LMP 1/20. No new partners. Pap smear due - pt declined today, "
          "'not comfortable', will consider next visit."),
    ("O", "BP 116/74"),
    ("A/P", "Contraception management - refill Sprintec x 1 yr. Declined cervical cancer screening."),
), enc="office_low")
c.expect("CCS", "open", "declined", "Pap declined; none documented")

c = case(38, born(65, "05-30"), "F", N, "prov-n2", "medicare")
c.note("2026-06-30", "Office Visit", "Welcome to Medicare visit", ehr(
    ("HPI", "65F Welcome to Medicare. Feels well. Last Pap 2025 normal - GYN said she can stop now."),
    ("ADVANCE DIRECTIVE", "Has an advance directive; husband Raymond is her health care proxy."),
    ("IMMUNIZATIONS", "Prevnar 20 given today, L deltoid, lot on MAR. Flu vaccine in the fall."),
    ("VITALS", "BP 124/76"),
    ("PLAN", "Return 1 yr."),
    colon=True), enc="preventive_65")
c.expect("CCS", "not_in_population", "", "age 65, above 64")
c.expect("ACP", "not_in_population", "", "age 65, under 66, although an advance directive exists")

c = case(39, born(40, "03-09"), "F", R, "prov-r1", "commercial")
c.note("2026-11-03", "Office Visit", "Well woman exam", ehr(
    ("HPI", "40F annual GYN exam. Periods regular. Declines STI testing."),
    ("PELVIC", "Normal external genitalia. Cervix parous, no lesions. Pap smear collected with "
     "reflex HPV testing (ThinPrep)."),
    ("VITALS", "BP 106/68"),
    ("A/P", "Routine. Will call with Pap results. Mammogram discussion - will start at 42 per pt "
     "preference."),
    colon=True), enc="preventive_40_64")
c.expect("CCS", "closed", "", "Pap smear collected at this 2026 visit")
c.expect("BCS-E", "not_in_population", "", "age 40, under 42")

# --------------------------------------------------------------------------------------------
# Controlling high blood pressure (CBP) family
# --------------------------------------------------------------------------------------------

c = case(40, born(61, "12-24"), "M", E, "prov-e2", "commercial")
c.note("2026-04-09", "Office Visit", "HTN follow up", ehr(
    ("CC", "BP check"),
    ("HPI", "61M HTN on amlodipine 5. Smokes 1 ppd. Not ready to quit, declines counseling or meds."),
    ("VITALS", "BP 144/90, P 80"),
    ("A/P", "HTN not at goal - increase amlodipine to 10 mg. BP goal < 130/80. Tobacco - declined "
     "cessation help."),
    colon=True), enc="office")
c.note("2026-09-17", "Office Visit", "HTN follow up", ehr(
    ("CC", "f/u htn"),
    ("HPI", "Taking amlodipine 10 mg. Home cuff readings 'high 140s'. HA occasionally. Still smoking, "
     "declines to set a quit date."),
    ("VITALS", "BP 152/94 left arm; recheck 150/92. HR 78."),
    ("A/P", "1. HTN, uncontrolled - add losartan 50 mg. Call if BP > 180/110 or severe HA. BP goal "
     "<130/80.\n2. Tobacco use - declined counseling again."),
    colon=True), enc="office")
c.expect("CBP", "open", "not_controlled", "most recent day 09/17: lowest 150/92; the goal and the "
         "call-threshold are not readings")
c.expect("TSC", "open", "declined", "current smoker who declines counseling and medication", group="3")

c = case(41, born(73, "08-27"), "F", N, "prov-n1", "medicare")
c.encounter("enc-041-h1", "inpatient", "2026-04-28", "2026-05-02")
c.note("2026-05-09", "Office Visit", "Hospital follow-up", ehr(
    ("CC", "f/u after admission for CHF exacerbation 4/28-5/2"),
    ("HPI", "73F with HFpEF and HTN. Diuresed 6 lb in hospital. Weighing daily, wt stable. Mild "
     "DOE, no orthopnea."),
    ("CURRENT MEDICATIONS", "furosemide 40 mg daily\nmetoprolol succinate 50 mg daily\nlisinopril 10 "
     "mg daily\natorvastatin 20 mg\nKCl 20 mEq daily"),
    ("IMMUNIZATIONS", "Influenza vaccine 10/02/2025 (state registry). PCV20 2024."),
    ("VITALS", "BP 138/80 HR 66 Wt 171"),
    ("A/P", "1. HFpEF - euvolemic, BMP today.\n2. HTN - controlled.\n3. RTC 3 mo."),
), enc="office")
c.note("2026-08-11", "Office Visit", "Follow up", ehr(
    ("HPI", "Doing ok, no further admissions. Some ankle swelling in the heat."),
    ("VITALS", "BP 146/84 HR 70 Wt 173"),
    ("A/P", "HTN - above goal today; pt to log home readings with her Omron cuff and call in 2 mo."),
    colon=True), enc="office")
c.note("2026-10-14", "Telephone Encounter", "Home BP readings", soap(
    ("", "Pt called in home BP log from her Omron (automatic arm cuff) as asked: this week 128/76, "
         "132/78, 126/74 (mornings). No dizziness. "
         "Continue current meds, pt agrees. -- RN L. Ortiz"),
), enc="telephone")
c.event("influenza_vaccine", "2025-10-02", "205", "CVX", "fhir:Immunization")
c.expect("CBP", "closed", "", "most recent day is the 10/14 phone call: patient-reported digital cuff "
         "readings 126-132/74-78")
c.expect("TRC-MRP", "open", "no_evidence", "discharged 5/2; the 5/9 visit lists medications but does "
         "not document reconciliation")
c.expect("AIS-E", "closed", "", "flu shot 10/02/2025, in the 2025-26 season (note and structured CVX 205)",
         group="influenza")

c = case(42, born(50, "01-08"), "M", R, "prov-r2", "commercial")
c.note("2026-02-12", "Office Visit", "HTN follow up", soap(
    ("S", "50M w/ HTN x 5 yrs on HCTZ 25. Jogging again. No HA."),
    ("O", "BP 142/90 HR 74"),
    ("A/P", "HTN - borderline, DASH diet, recheck 6 mo."),
), enc="office_low")
c.note("2026-08-20", "Office Visit", "HTN follow up", soap(
    ("S", "F/u HTN. Lost 8 lb. Adherent to HCTZ."),
    ("O", "BP 150/82 R arm; repeat BP 136/94 L arm. HR 70"),
    ("A/P", "Essential hypertension - continue HCTZ. Lowest systolic and diastolic today are at "
            "goal per HEDIS, recheck in 3 mo anyway."),
), enc="office_low")
c.expect("CBP", "closed", "", "most recent day 08/20: lowest systolic 136 (2nd reading) and lowest "
         "diastolic 82 (1st reading) -> 136/82")

c = case(43, born(89, "03-01"), "F", E, "prov-e1", "medicare")
c.note("2026-05-19", "Office Visit", "Follow up", mts(
    ("HISTORY OF PRESENT ILLNESS", "89-year-old lady with hypertension, "
     "macular degeneration and chronic kidney disease stage 3b who comes in with her daughter.  She "
     "had Pneumovax years ago, unsure when.  I tried to talk about advance directives and a health "
     "care proxy, but she declines to discuss it, saying 'my kids will figure it out.'  Code status "
     "full code."),
    ("PHYSICAL EXAMINATION", "VITAL SIGNS:  BP 150/70, pulse 64."),
    ("ASSESSMENT AND PLAN", "1.  Hypertension, acceptable for age, continue amlodipine.\n2.  CKD 3b, "
     "BMP today."),
), enc="office")
c.expect("CBP", "not_in_population", "", "age 89, above 85")
c.expect("ACP", "open", "declined", "declines to discuss advance directives; full code only")
c.expect("AIS-E", "closed", "", "Pneumovax 'years ago': undated, but any pneumococcal vaccine ever counts",
         group="pneumococcal")

c = case(44, born(45, "10-30"), "M", N, "prov-n2", "commercial")
c.note("2026-03-26", "Office Visit", "Physical", ehr(
    ("HPI", "45M annual. No complaints."),
    ("FAMILY HISTORY", "Father with HTN and MI at 59; patient denies HTN himself."),
    ("SOCIAL HISTORY", "Denies smoking. Drinks 6-8 beers/wk."),
    ("VITALS", "BP 142/88 (first reading in clinic, after rushing in). HR 84."),
    ("A/P", "Elevated BP reading without diagnosis of hypertension - home BP monitoring x 2 wks and "
     "nurse visit for recheck. Discussed alcohol."),
    colon=True), enc="preventive_40_64")
c.expect("CBP", "not_in_population", "", "one elevated reading, no hypertension diagnosis (father's HTN "
    "is family history)")
c.expect("TSC", "closed", "", "'Denies smoking' = never user", group="3")

c = case(45, born(67, "07-04"), "M", R, "prov-r1", "aco")
c.note("2026-02-26", "Telephone Encounter", "Medication question", soap(
    ("", "Pt called asking whether he can take ibuprofen for his back. Advised acetaminophen instead "
         "given his hypertension and chlorthalidone. He says his BP has been fine at home, "
         "'normal'. -- Dr. R1"),
), enc="telephone")
c.note("2026-07-30", "Telephone Encounter", "Refill", soap(
    ("", "Refill chlorthalidone 25 mg x 90 d. Pt declines to come in for a visit this year, lives 2 "
         "hours away in summer. BP well controlled per pt, no numbers available. -- RN"),
), enc="telephone")
c.event("hypertension", "2019-05-14", "I10", "ICD10CM", "fhir:Condition:problem-list-item", end_date=None)
c.expect("CBP", "open", "no_evidence", "hypertension on the problem list; no BP with numbers in the MP")

c = case(46, born(55, "11-11"), "F", E, "prov-e2", "commercial")
c.note("2026-02-10", "Office Visit", "HTN follow up", soap(
    ("S", "55F essential hypertension dx 2021, on lisinopril 10 mg. No side effects."),
    ("O", "BP 134/84 HR 72"),
    ("A/P", "HTN controlled - continue lisinopril, BMP."),
), enc="office_low")
c.note("2026-08-04", "Office Visit", "HTN follow up", ehr(
    ("HPI", "55F HTN on lisinopril 10, home readings 120s/70s."),
    ("VITALS", "BP 128/78 HR 68"),
    ("A/P", "Hypertension, well controlled. Continue."),
    colon=True), enc="office")
c.note("2026-11-08", "Emergency Department Note", "ED provider note", ehr(
    ("CHIEF COMPLAINT", "Kidney stone pain"),
    ("HPI", "55 y/o F with hx HTN presents with sudden severe L flank pain radiating to groin, "
     "vomiting x 2."),
    ("VITAL SIGNS", "BP 182/104, HR 108, T 98.9, SpO2 99%"),
    ("ED COURSE", "Ketorolac 15 mg IV, ondansetron, IVF. CT A/P: 4 mm L UVJ stone, mild "
     "hydronephrosis. Pain 2/10 on reassessment, BP 158/92."),
    ("DISPOSITION", "Discharged home with tamsulosin, oxycodone x 6 tabs, urology f/u. BP elevated "
     "in setting of pain, recheck with PCP."),
), enc="ed", provider_id="prov-ed1")
c.expect("CBP", "closed", "", "ED readings on 11/08 do not count; most recent eligible day 08/04 = 128/78")

c = case(47, born(34, "06-12"), "F", N, "prov-n1", "medicaid")
c.note("2026-05-14", "Prenatal Visit", "OB visit", ehr(
    ("HPI", "34 y/o G2P1 at 24w3d by 8 wk US with chronic hypertension (dx 2022), on labetalol 200 "
     "bid. No HA, visual changes or RUQ pain. +FM."),
    ("VITALS", "BP 136/86 P 88 Wt 182"),
    ("EXAM", "FH 24 cm, FHT 145."),
    ("A/P", "IUP at 24w3d. Chronic HTN in pregnancy, controlled - continue labetalol, baseline "
     "preeclampsia labs reviewed. Glucola at 26-28 wks. Tdap at 28 wks."),
    colon=True), enc="office")
c.expect("CBP", "excluded", "", "currently pregnant in the MP")

c = case(48, born(64, "02-17"), "M", R, "prov-r2", "medicaid")
c.note("2026-06-25", "Office Visit", "Follow up", mts(
    ("HISTORY OF PRESENT ILLNESS", "63-year-old gentleman, end-stage renal disease "
     "secondary to hypertensive nephrosclerosis, on hemodialysis Monday, Wednesday, Friday since "
     "2023 via left arm AV fistula, and long-standing hypertension.  Here for routine follow up."),
    ("PHYSICAL EXAMINATION", "Blood pressure 158/92 on a non-dialysis day.  Left arm fistula with "
     "good thrill."),
    ("ASSESSMENT AND PLAN", "1.  ESRD on hemodialysis, per nephrology.\n2.  Hypertension, managed "
     "with dialysis team."),
))
c.event("esrd", "2023-01-09", "N18.6", "ICD10CM", "fhir:Condition:problem-list-item", end_date=None)
c.expect("CBP", "excluded", "", "ESRD on hemodialysis")

# --------------------------------------------------------------------------------------------
# Diabetes: glycemic status (GSD) and eye exam (EED) family
# --------------------------------------------------------------------------------------------

c = case(49, born(61, "04-18"), "F", E, "prov-e1", "medicaid")
c.note("2026-03-17", "Office Visit", "Diabetes follow up", ehr(
    ("CC", "DM f/u, out of meds x 2 mo"),
    ("HPI", "61F DM2, ran out of metformin and glipizide in Jan (insurance lapse). Polyuria. No "
     "vision change. Got her flu shot at CVS in November."),
    ("LABS", "HbA1c 9.8 % (POC, today)"),
    ("VITALS", "BP 128/76"),
    ("EXAM", "HEENT: PERRL, fundi benign on undilated exam. Feet: no lesions, sensation intact."),
    ("A/P", "DM2 uncontrolled - restart metformin 1000 bid + glipizide 5 bid; PAP for meds."),
    colon=True), enc="office")
c.note("2026-09-15", "Office Visit", "Diabetes follow up", ehr(
    ("CC", "DM f/u"),
    ("HPI", "Back on meds since March, adherent. Walking after dinner. Occasional mild hypoglycemia "
     "when skipping lunch."),
    ("LABS", "A1c today 7.6%"),
    ("VITALS", "BP 124/72"),
    ("A/P", "DM2 improved - reduce glipizide to 2.5 mg. Recheck A1c in 3 months."),
    colon=True), enc="office")
c.note("2026-11-19", "Telephone Encounter", "Hypoglycemia check", soap(
    ("", "F/u call: no lows since glipizide reduced. FSBG 100-160. -- RN"),
), enc="telephone")
c.expect("GSD-POOR", "closed", "", "most recent A1c 7.6% (09/15); the 9.8% was in March")
c.expect("GSD-CONTROL", "closed", "", "most recent A1c 7.6% < 8")
c.expect("EED", "open", "no_evidence", "'fundi benign' by the PCP is not an eye-care professional's exam")
c.expect("AIS-E", "closed", "", "patient-reported pharmacy flu shot 'in November' (2025) in a 03/2026 note",
         group="influenza")

c = case(50, born(58, "09-03"), "M", N, "prov-n2", "commercial")
c.note("2026-02-24", "Office Visit", "Diabetes follow up", soap(
    ("S", "58M DM2 on metformin + glargine 20u. FSBG 120-150. Works long shifts as a trucker."),
    ("O", "BP 130/82. A1c 7.1%."),
    ("A/P", "DM2 controlled. Continue. Referred to ophthalmology for diabetic eye exam - has never "
            "had one."),
), enc="office")
c.encounter("enc-050-h1", "inpatient", "2026-09-15", "2026-09-20")
c.note("2026-11-10", "Office Visit", "Diabetes follow up", soap(
    ("S", "Admitted in Sept for cellulitis of the R foot, steroids in hospital, sugars 250-300 since. "
          "Did not make the eye appointment, still has the referral."),
    ("O", "BP 134/84. HbA1c 9.4% today."),
    ("A/P", "DM2 worse - increase glargine to 28u, add lispro with meals. Eye referral re-sent."),
), enc="office")
c.event("medication_reconciliation", "2026-09-29", "1111F", "CPT", "fhir:Procedure")
c.expect("GSD-POOR", "open", "not_controlled", "most recent A1c 9.4% (11/10) > 9")
c.expect("GSD-CONTROL", "open", "not_controlled", "most recent A1c 9.4% >= 8")
c.expect("EED", "open", "only_ordered", "ophthalmology referral only, never seen")
c.expect("TRC-MRP", "closed", "", "discharged 9/20, med rec CPT II 1111F on 9/29 (structured only)")

c = case(51, born(70, "12-20"), "F", R, "prov-r1", "medicare")
c.note("2024-06-11", "Office Visit", "Annual wellness visit", ehr(
    ("HPI", "68F AWV. DM2, HTN."),
    ("ADVANCE CARE PLANNING", "Completed health care proxy form today, daughter Maria named as "
     "agent. Copy scanned."),
    ("VITALS", "BP 126/74"),
    colon=True), enc="awv")
c.note("2025-09-18", "Ophthalmology", "Diabetic eye exam", ehr(
    ("CC", "Diabetic eye exam"),
    ("EXAM", "VA 20/25 OD, 20/30 OS. Pupils dilated with tropicamide. Fundus: no diabetic "
     "retinopathy OU, no CSME. Mild NS cataract OU."),
    ("IMPRESSION", "DM2 without retinopathy. Early cataracts."),
    ("PLAN", "Dilated exam in 1 year."),
    colon=True), enc="ophthalmology", provider_id="prov-oph1")
c.note("2026-04-07", "Office Visit", "Diabetes follow up", mts(
    ("SUBJECTIVE", "70-year-old female with type 2 diabetes and hypertension here for follow up.  "
     "She has been walking with her church group.  She fell in her garden in February, no "
     "fracture, and now uses a cane outdoors."),
    ("OBJECTIVE", "BP 132/78.  HbA1c 8.4 today."),
    ("ASSESSMENT", "Type 2 diabetes, above goal.  Hypertension, controlled."),
    ("PLAN", "Increase metformin to 1000 b.i.d.  Follow up in 4 months."),
), enc="office")
c.expect("GSD-POOR", "closed", "", "most recent A1c 8.4 (no % sign) is not > 9")
c.expect("GSD-CONTROL", "open", "not_controlled", "most recent A1c 8.4 is not < 8")
c.expect("EED", "closed", "", "dilated exam 09/2025 (year before the MP) with no retinopathy")
c.event("frailty", "2026-04-07", "Z91.81", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("frailty", "2026-05-20", "E0143", "HCPCS", "fhir:DeviceRequest")  # a walker: a frailty device
c.expect("ACP", "open", "evidence_too_old", "66-80 with frailty (fall, a walker: two dates); health care "
         "proxy completed in 2024, nothing in the MP")

c = case(52, born(45, "05-23"), "M", E, "prov-e2", "commercial")
c.note("2026-08-14", "Office Visit", "Ankle injury", soap(
    ("S", "45M rolled R ankle playing softball yesterday. Able to bear weight."),
    ("O", "BP 126/80. Lat malleolus swelling, no bony tenderness (Ottawa neg)."),
    ("A/P", "R ankle sprain - RICE, ASO brace, NSAID prn."),
), enc="office_low")
c.note("2026-10-20", "Telephone Encounter", "Care gap outreach", soap(
    ("", "Care coordinator call re: yearly diabetic eye exam. Pt declines eye exam this year - no "
         "vision insurance, 'eyes are fine'. Gave info on the county sliding-scale eye clinic. -- CC"),
), enc=None)
c.event("diabetes", "2021-03-02", "E11.9", "ICD10CM", "fhir:Condition:problem-list-item", end_date=None)
c.event("diabetes", "2026-08-14", "E11.9", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("hba1c", "2026-08-14", "4548-4", "LOINC", "fhir:Observation", value="7.9")
c.expect("GSD-POOR", "closed", "", "structured-only: diabetes E11.9 and lab A1c 7.9 (LOINC 4548-4)")
c.expect("GSD-CONTROL", "closed", "", "lab A1c 7.9 < 8")
c.expect("EED", "open", "declined", "declines diabetic eye exam")

c = case(53, born(74, "07-31"), "F", N, "prov-n1", "aco")
c.note("2026-05-26", "Office Visit", "Follow up", ehr(
    ("HPI", "74F DM2 (diet + metformin), HTN, OA. Feels well. Last eye exam 2024 at Vision Plus, "
     "told 'no diabetes in the eyes'."),
    ("VITALS", "BP 130/74"),
    ("A/P", "DM2 - Hgb A1c ordered, lipids, UACR. HTN - ok. OA - PT."),
    colon=True), enc="office")
c.note("2026-09-01", "Telephone Encounter", "Lab reminder", soap(
    ("", "LVM for pt: A1c and lipids ordered in May not yet drawn, please go to the lab. -- MA"),
), enc=None)
c.expect("GSD-POOR", "open", "only_ordered", "A1c ordered, never drawn: no result in the MP")
c.expect("GSD-CONTROL", "open", "only_ordered", "A1c ordered, never drawn")
c.expect("EED", "open", "evidence_too_old", "negative eye exam in 2024, two years before the MP")

c = case(54, born(76, "02-28"), "M", E, "prov-e1", "medicare")
c.encounter("enc-054-h1", "inpatient", "2026-06-27", "2026-07-01")
c.note("2026-07-03", "Telephone Encounter", "TCM call", soap(
    ("", "TCM call 2 days after discharge (6/27-7/1, GI bleed on apixaban). Spoke with pt and wife "
         "(his health care proxy). Medication reconciliation completed by phone against discharge "
         "list: apixaban STOPPED, pantoprazole 40 bid NEW, metformin and lisinopril unchanged. "
         "F/u appt 7/9. -- RN K. Dubois"),
), enc="telephone")
c.note("2026-07-09", "Office Visit", "Post-hospital visit", ehr(
    ("HPI", "76M after GI bleed, no further melena. Off apixaban per cardiology/GI discussion. DM2 "
     "on metformin. Weak since discharge, using a walker at home."),
    ("LABS", "Hgb 10.9 (from 8.2). HbA1c 8.8%."),
    ("ADVANCE CARE PLANNING", "Discussed goals of care with pt and wife; he wants full treatment for "
     "now. Wife Marlene is his health care proxy (form on file, reviewed)."),
    ("VITALS", "BP 124/70 HR 80"),
    ("A/P", "1. Anemia from GI bleed, improving.\n2. DM2 - A1c 8.8, continue metformin.\n"
     "3. AF - stroke risk vs bleeding discussed, LAAO referral."),
    colon=True), enc="tcm")
c.expect("GSD-POOR", "not_in_population", "", "age 76, above 75")
c.expect("TRC-MRP", "closed", "", "discharged 7/1, medication reconciliation by RN phone call 7/3")
c.event("frailty", "2026-07-09", "R54", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("frailty", "2026-07-01", "R54", "ICD10CM", "fhir:Condition:encounter-diagnosis")  # at discharge
c.expect("ACP", "closed", "", "66-80 with frailty (coded at discharge and the visit); goals-of-care "
         "discussion and health care proxy reviewed in 07/2026")

c = case(55, born(40, "08-16"), "F", R, "prov-r2", "commercial")
c.note("2026-04-30", "Office Visit", "Follow up labs", soap(
    ("S", "40F f/u labs. Hx gestational diabetes 2019, none since. Father and brother with DM2."),
    ("O", "BP 118/72. A1c 6.1%, FPG 108."),
    ("A/P", "Prediabetes - DPP referral, recheck A1c 1 yr. No diabetes."),
), enc="office_low")
c.expect("GSD-POOR", "not_in_population", "", "prediabetes and gestational diabetes history are not diabetes")
c.expect("EED", "not_in_population", "", "not diabetic")

c = case(56, born(68, "03-21"), "M", N, "prov-n2", "medicare")
c.note("2025-11-12", "Office Visit", "Diabetes follow up", ehr(
    ("HPI", "67M DM2 on metformin. No complaints."),
    ("LABS", "A1c 7.0% today"),
    ("VITALS", "BP 128/76"),
    ("A/P", "DM2 well controlled, continue. RTC 6 mo."),
    colon=True), enc="office")
c.note("2025-12-02", "Ophthalmology", "Eye exam", mts(
    ("HISTORY", "67-year-old male with type 2 diabetes for a dilated eye exam."),
    ("EXAMINATION", "Visual acuity 20/25 both eyes.  Dilated fundus examination shows scattered dot "
     "blot hemorrhages and microaneurysms in both eyes, no macular edema."),
    ("IMPRESSION", "Mild nonproliferative diabetic retinopathy, both eyes."),
    ("PLAN", "Return in 12 months."),
), enc="ophthalmology", provider_id="prov-oph1")
c.note("2026-06-18", "Office Visit", "Cough", soap(
    ("S", "68M with 1 wk cough, clear sputum, no fever. Missed his diabetes f/u in May."),
    ("O", "BP 126/78, T 98.4, lungs clear."),
    ("A/P", "Viral bronchitis - supportive care. Reschedule DM visit."),
), enc="office_low")
c.event("hba1c", "2025-11-12", "4548-4", "LOINC", "fhir:Observation", value="7.0")
c.event("diabetic_retinopathy", "2025-12-02", "E11.3293", "ICD10CM", "fhir:Condition:encounter-diagnosis",
        end_date=None)
c.expect("GSD-POOR", "open", "evidence_too_old", "only A1c is 11/2025; no test in the MP")
c.expect("EED", "open", "evidence_too_old", "2025 exam showed retinopathy, so it only counts in the MP")
c.expect("AIS-E", "open", "no_evidence", "no pneumococcal vaccine documented", group="pneumococcal")

c = case(57, born(38, "11-29"), "F", E, "prov-e2", "commercial")
c.note("2026-06-04", "Office Visit", "Type 1 diabetes", ehr(
    ("HPI", "38F T1DM since age 11, on Omnipod + Dexcom. TIR 58%. Some post-prandial spikes."),
    ("LABS", "A1c 8.6% (6/1/2026)"),
    ("VITALS", "BP 112/70"),
    ("A/P", "T1DM - adjust I:C ratio 1:10 -> 1:8 at breakfast. Endo f/u."),
    colon=True), enc="office")
c.note("2026-08-26", "Optometry", "Comprehensive eye exam", ehr(
    ("REASON", "Annual diabetic eye exam, T1DM."),
    ("FINDINGS", "BCVA 20/20 OU. Dilated exam: optic nerves healthy, macula flat, no hemorrhages or "
     "microaneurysms OU. Optomap retinal imaging reviewed, no diabetic retinopathy."),
    ("ASSESSMENT", "Type 1 DM without retinopathy."),
    colon=True), enc="ophthalmology", provider_id="prov-opt1")
c.event("diabetes", "1999-03-10", "E10.9", "ICD10CM", "fhir:Condition:problem-list-item", end_date=None)
c.event("hba1c", "2026-10-02", "4548-4", "LOINC", "fhir:Observation", value="7.4")
c.expect("GSD-POOR", "closed", "", "most recent A1c is the 10/02 lab 7.4 (note had 8.6 in June)")
c.expect("GSD-CONTROL", "closed", "", "most recent A1c 7.4 < 8")
c.expect("EED", "closed", "", "dilated exam by optometrist 08/2026")

# --------------------------------------------------------------------------------------------
# Depression screening (DSF) and tobacco (TSC) family
# --------------------------------------------------------------------------------------------

c = case(58, born(34, "02-09"), "M", R, "prov-r1", "medicaid")
c.note("2026-04-16", "Office Visit", "Depression follow up", ehr(
    ("HPI", "34M with MDD, recurrent, on sertraline 100 mg x 1 yr. Mood good, sleeping well, back at "
     "work. Sees therapist monthly."),
    ("ROS", "Psych: denies SI, denies anxiety."),
    ("SOCIAL HISTORY", "Never used tobacco."),
    ("VITALS", "BP 120/78"),
    ("A/P", "MDD in partial remission - continue sertraline, therapy."),
    colon=True), enc="office")
c.expect("DSF-E", "open", "no_evidence", "depression diagnosis and 'mood good' but no screening instrument", group="1")
c.expect("TSC", "closed", "", "never used tobacco", group="3")

c = case(59, born(15, "09-12"), "F", E, "prov-e1", "medicaid")
c.note("2026-08-06", "Office Visit", "Well adolescent visit", ehr(
    ("HPI", "15 yo F here with mom for sports physical / well visit. 10th grade, plays volleyball."),
    ("HEADSS", "Home: lives w/ mom and brother. Education: As/Bs. Activities: volleyball. Drugs: "
     "denies vaping, smoking, alcohol. Sexuality: not sexually active. Suicide: denies."),
    ("SCREENING", "PHQ-A score 4 (minimal)."),
    ("IMMUNIZATIONS", "HPV vaccine (Gardasil 9) #2 given today. Flu vaccine declined by mom."),
    ("VITALS", "BP 104/64, BMI 21 (60th %ile)"),
    ("A/P", "Healthy adolescent, cleared for sports."),
    colon=True), enc="preventive_12_17")
c.expect("DSF-E", "closed", "", "PHQ-A = 4, negative adolescent screen", group="1")
c.expect("TSC", "closed", "", "denies vaping and smoking: never user", group="3")
c.expect("CCS", "not_in_population", "", "age 15")

c = case(60, "2013-11-25", "M", N, "prov-n1", "medicaid")
c.note("2026-02-09", "Office Visit", "Well child check", ehr(
    ("HPI", "12 yo M WCC. 6th grade, soccer. Asthma, mild intermittent, albuterol rarely."),
    ("SOCIAL", "Lives with parents and 2 sisters. No smoking in the home. Dad vapes outside."),
    ("VITALS", "BP 102/60, BMI 19"),
    ("A/P", "Healthy 12 yo. Tdap and MenACWY given. Asthma action plan updated."),
    colon=True), enc="preventive_12_17")
c.expect("DSF-E", "open", "no_evidence", "12-year-old (12 at the MP start), no depression screening at "
    "the well visit", group="1")
c.expect("TSC", "open", "no_evidence", "only household smoking/vaping documented, not the patient's own "
    "status", group="3")

c = case(61, born(39, "06-03"), "M", R, "prov-r2", "commercial")
c.note("2026-05-06", "Office Visit", "Physical", ehr(
    ("HPI", "39M annual. Busy with new baby."),
    ("SCREENING", "Patient declined the PHQ-9 today, 'not into questionnaires'."),
    ("SOCIAL HISTORY", "Former smoker, quit 2015."),
    ("VITALS", "BP 122/80"),
    ("A/P", "Routine labs."),
    colon=True), enc="preventive_18_39")
c.event("depression_screening_not_done", "2026-05-06", "73832-8", "LOINC", "fhir:Observation:not-done",
        value="patient_declined")
c.expect("DSF-E", "open", "declined", "screening declined by the patient at the visit; DSF-E has no "
         "exceptions (CMS2 excepts it)", group="1")
c.expect("TSC", "closed", "", "former smoker, quit 2015", group="3")

c = case(62, born(28, "10-21"), "F", E, "prov-e2", "medicaid")
c.note("2026-03-05", "Office Visit", "Med check", ehr(
    ("HPI", "28F with bipolar I disorder, stable on lithium 600 bid + quetiapine 100 qhs. Last manic "
     "episode 2023. Sees psychiatry q3mo."),
    ("SCREENING", "PHQ-9 = 6."),
    ("SOCIAL HISTORY", "Denies tobacco."),
    ("VITALS", "BP 114/70"),
    ("A/P", "Bipolar I - lithium level and TSH today."),
    colon=True), enc="office")
c.event("bipolar_disorder", "2021-08-19", "F31.9", "ICD10CM", "fhir:Condition:problem-list-item",
        end_date=None)
c.expect("DSF-E", "excluded", "", "bipolar disorder on the problem list", group="1")

# --------------------------------------------------------------------------------------------
# More COL-E date formats and an ordered-then-resulted stool test
# --------------------------------------------------------------------------------------------

c = case(63, born(65, "04-27"), "M", E, "prov-e1", "aco")
c.note("2026-01-20", "Office Visit", "Follow up", mts(
    ("CHIEF COMPLAINT", "Follow up hyperlipidemia and GERD."),
    ("HISTORY OF PRESENT ILLNESS", "This is a 64-year-old male who is doing well.  He had his "
     "c-scope last year with Dr. Patel, 1 hyperplastic polyp, told 10 years.  Heartburn controlled "
     "on omeprazole."),
    ("SOCIAL HISTORY", "He chews nicotine gum, quit cigarettes 8 years ago."),
    ("PHYSICAL EXAMINATION", "BP 128/80, pulse 72, weight 196 pounds."),
    ("ASSESSMENT AND PLAN", "1.  Hyperlipidemia, continue rosuvastatin.\n2.  GERD, stable."),
), enc="office_low")
c.expect("COL-E", "closed", "", "'c-scope last year' in a 01/2026 note resolves to 2025")
c.expect("TSC", "closed", "", "former smoker (quit 8 years ago)", group="3")

c = case(64, born(50, "07-13"), "F", R, "prov-r1", "commercial")
c.note("2026-02-02", "Letter", "Outside records: GI letter", ehr(
    ("", "Riverside Digestive Health\nRe: patient records request"),
    ("", "Dear Dr. R1,\nYour patient was seen in our endoscopy unit on 2019-03-14 for a screening "
     "colonoscopy. The examination was complete to the cecum with excellent preparation. No polyps "
     "were found. Recommended interval: 10 years.\nSincerely,\nA. Patel, MD"),
), enc=None, provider_id="prov-gi1")
c.note("2026-03-16", "Office Visit", "Annual physical", ehr(
    ("HPI", "50F annual. Had a mammogram March 2025 at Riverside Imaging, normal. Pap 2024 normal "
     "(NILM, HPV neg). Outside colonoscopy letter received."),
    ("SOCIAL", "Never smoked."),
    ("VITALS", "BP 118/76"),
    ("A/P", "Health maintenance up to date."),
    colon=True), enc="preventive_40_64")
c.expect("COL-E", "closed", "", "colonoscopy 2019-03-14 (ISO date, outside GI letter)")
c.expect("BCS-E", "closed", "", "mammogram March 2025")
c.expect("CCS", "closed", "", "Pap with HPV 2024")

c = case(65, "1980-01-01", "M", N, "prov-n2", "medicaid")
c.note("2026-02-23", "Office Visit", "Physical", soap(
    ("S", "46M (turned 46 on New Year's Day) annual. No GI sx. No FH colon ca."),
    ("O", "BP 124/78, BMI 31."),
    ("A/P", "CRC screening - FIT kit given today with instructions. Labs."),
), enc="preventive_40_64")
c.note("2026-03-09", "Lab Result Note", "FIT result", soap(
    ("", "FIT (fecal immunochemical test), collected 03/04/2026, received 03/06/2026: NEGATIVE. "
         "Letter sent to patient: repeat in 1 year. -- Dr. N2"),
), enc=None)
c.expect("COL-E", "closed", "", "FIT kit given in 02/2026 and resulted negative 03/2026")


# --------------------------------------------------------------------------------------------
# Second pass of the engine (issue 9): TRC per discharge, DSF-E's 30-day follow-up, CMS159,
# CMS139, AIS-E vaccines, CBP's two coded visits, HEDIS frailty dates, EED's prior-year result
# --------------------------------------------------------------------------------------------

c = case(66, born(72, "05-19"), "F", N, "prov-n1", "medicare")
c.note("2026-02-02", "Office Visit", "Medicare annual wellness visit", ehr(
    ("REASON FOR VISIT", "Annual Wellness Visit (subsequent)"),
    ("PROBLEMS", "Heart failure with preserved EF; hypertension; CKD 3a; osteoarthritis of both knees."),
    ("HEALTH RISK ASSESSMENT", "Lives with her husband, independent in ADLs. Falls screen: 1 fall in the "
     "past 12 months (tripped on a bath mat), no injury. Timed Up and Go 13 seconds."),
    ("IMMUNIZATIONS", "Influenza vaccine (high dose) 10/08/2025 at her pharmacy. Tdap 03/2019. Shingrix "
     "series done in 2023. Prevnar 20 given 11/2024."),
    ("VITALS", "BP 126/74, HR 68, Wt 171 lb"),
    ("PLAN", "Continue current regimen. Home exercise program for balance. RTC 3 months."),
), enc="awv")
c.note("2026-03-14", "Discharge Summary", "Hospital discharge summary", ehr(
    ("ADMISSION DATE", "03/10/2026"),
    ("DISCHARGE DATE", "03/14/2026"),
    ("DIAGNOSIS", "Community-acquired pneumonia, right lower lobe"),
    ("HOSPITAL COURSE", "IV ceftriaxone and azithromycin, then oral cefpodoxime. Weaned off oxygen day 3."),
    ("DISPOSITION", "Home. PCP visit within one week."),
    colon=True), enc="inpatient", enc_start="2026-03-10", enc_end="2026-03-14", provider_id="prov-hosp1")
c.note("2026-03-20", "Office Visit", "Hospital follow-up", ehr(
    ("HPI", "72F six days after discharge for pneumonia. Cough improving, no fever."),
    ("MEDICATIONS", "Discharge medications reconciled with her home list: cefpodoxime course finished, "
     "furosemide and losartan unchanged, no new medications."),
    ("VITALS", "BP 122/70, SpO2 96% RA"),
    ("A/P", "CAP resolving. Chest film in 6 weeks."),
    colon=True), enc="tcm")
c.note("2026-08-07", "Discharge Summary", "Hospital discharge summary", ehr(
    ("ADMISSION DATE", "08/03/2026"),
    ("DISCHARGE DATE", "08/07/2026"),
    ("DIAGNOSIS", "Acute on chronic diastolic heart failure"),
    ("HOSPITAL COURSE", "IV furosemide, 4 kg diuresis. Discharged on a higher oral dose."),
    colon=True), enc="inpatient", enc_start="2026-08-03", enc_end="2026-08-07", provider_id="prov-hosp1")
c.note("2026-08-12", "Telephone Encounter", "Post-discharge call", soap(
    ("", "RN call after CHF admission: discharge meds reviewed and reconciled with pt against her pill "
         "bottles, furosemide now 40 mg bid. Daily weights. -- RN"),
), enc="telephone")
c.note("2026-08-25", "Discharge Summary", "Hospital discharge summary", ehr(
    ("ADMISSION DATE", "08/21/2026"),
    ("DISCHARGE DATE", "08/25/2026"),
    ("DIAGNOSIS", "Heart failure exacerbation, readmission"),
    ("HOSPITAL COURSE", "Diuresed again; metolazone added for 3 days. Cardiology to follow."),
    colon=True), enc="inpatient", enc_start="2026-08-21", enc_end="2026-08-25", provider_id="prov-hosp1")
c.note("2026-10-15", "Office Visit", "Heart failure follow up", soap(
    ("S", "Weight stable, walking to the mailbox daily. No orthopnea."),
    ("O", "BP 124/72, no edema."),
    ("A/P", "HFpEF compensated. Continue plan."),
), enc="office_low")
c.event("td_tdap_vaccine", "2019-03-14", "115", "CVX", "fhir:Immunization")
c.event("zoster_vaccine", "2023-04-12", "187", "CVX", "fhir:Immunization")
c.event("zoster_vaccine", "2023-07-20", "187", "CVX", "fhir:Immunization")
c.expect("TRC-MRP", "closed", "", "March discharge: medications reconciled at the visit 6 days later",
         episode="enc-066-02")
c.expect("TRC-MRP", "open", "evidence_too_old", "readmitted 8/21, 14 days after the 8/7 discharge: one "
         "episode ending 8/25; the 8/12 reconciliation predates that discharge", episode="enc-066-06")
c.expect("AIS-E", "closed", "", "high-dose flu shot 10/08/2025, in the season", group="influenza")
c.expect("AIS-E", "closed", "", "Tdap 2019 (immunization registry, CVX 115)", group="td_tdap")
c.expect("AIS-E", "closed", "", "two Shingrix doses 2023, 99 days apart, after age 50 (CVX 187)",
         group="zoster")
c.expect("AIS-E", "closed", "", "Prevnar 20 in 11/2024", group="pneumococcal")
c.expect("CMS139", "closed", "", "falls screen and Timed Up and Go at the AWV")

c = case(67, born(57, "09-09"), "M", R, "prov-r2", "commercial")
c.note("2025-09-15", "Office Visit", "Elevated blood pressure", soap(
    ("S", "57M, pharmacy BP machine read high twice. No headache, no chest pain."),
    ("O", "BP 152/94, repeat 148/92. BMI 29."),
    ("A/P", "Essential hypertension, new diagnosis - start amlodipine 5 mg. Home BP log."),
), enc="office")
c.note("2026-03-02", "Office Visit", "Hypertension follow up", ehr(
    ("HPI", "57M on amlodipine 5 mg since September, no ankle swelling. Home readings 120s-130s/80s."),
    ("IMMUNIZATIONS", "Shingrix dose 1 given 10/2025 at the pharmacy, second dose due now. Anaphylaxis to "
     "an influenza vaccine in 2012 (ED visit, epinephrine): no flu vaccines. Last tetanus shot 2014."),
    ("VITALS", "BP 128/82, HR 66"),
    ("A/P", "1. HTN - controlled, continue amlodipine.\n2. Shingrix #2 and a Td booster at the pharmacy."),
    colon=True), enc="office")
c.event("hypertension", "2025-09-15", "I10", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("hypertension", "2026-03-02", "I10", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("td_tdap_vaccine", "2014-05-01", "09", "CVX", "fhir:Immunization")
c.event("zoster_vaccine", "2025-10-03", "187", "CVX", "fhir:Immunization")
c.event("vaccine_anaphylaxis", "2012-11-01", "T80.52XA", "ICD10CM", "fhir:Condition:problem-list-item",
        value="influenza", end_date=None)
c.expect("CBP", "closed", "", "hypertension coded at two visits (9/2025, 3/2026); the reading on the second "
         "diagnosis date, 128/82, is controlled (no review flag: the denominator is from coded data)")
c.expect("AIS-E", "excluded", "", "anaphylaxis to an influenza vaccine (2012)", group="influenza")
c.expect("AIS-E", "open", "only_ordered",
         "last Td 2014 is before the 10-year window and the plan names a Td booster at the pharmacy: "
         "the open order is the most actionable reason", group="td_tdap")
c.expect("AIS-E", "open", "only_ordered",
         "one Shingrix dose (the note's 10/2025 dose is the registry's 2025-10-03 dose): the series needs "
         "two, and the plan names dose 2 at the pharmacy", group="zoster")
c.expect("AIS-E", "not_in_population", "", "age 57 on January 1, under 65", group="pneumococcal")

c = case(68, born(34, "01-30"), "F", E, "prov-e2", "commercial")
c.note("2025-03-11", "Office Visit", "Low mood", ehr(
    ("CC", "low mood and poor sleep for two months"),
    ("HPI", "33F, anhedonia, early waking, crying spells since the end of her relationship. No SI/HI."),
    ("SCREENING", "PHQ-9: 17 (moderately severe)."),
    ("VITALS", "BP 114/70"),
    ("ASSESSMENT AND PLAN", "Major depressive disorder, single episode, moderate. Start sertraline 50 mg "
     "daily. Referral to therapy (CBT). Recheck in 4 weeks."),
    colon=True), enc="office")
c.note("2026-02-10", "Office Visit", "Depression follow up", soap(
    ("S", "Mood much better, sleeping 7 h, back to running."),
    ("O", "PHQ-9 = 4. BP 116/72."),
    ("A/P", "MDD, single episode, in remission on sertraline - continue 6-12 more months."),
), enc="office")
c.event("depression", "2025-03-11", "F32.1", "ICD10CM", "fhir:Condition:encounter-diagnosis", end_date=None)
c.expect("CMS159", "closed", "", "index PHQ-9 17 on 3/11/2025; PHQ-9 4 eleven months later: remission",
         group="remission")
c.expect("CMS159", "closed", "", "PHQ-9 17 to 4: at least a 50% drop", group="response")
c.expect("DSF-E", "excluded", "", "depression that started in the year before the MP (3/2025)", group="1")

c = case(69, born(45, "07-07"), "M", N, "prov-n2", "aco")
c.note("2026-04-07", "Office Visit", "Fatigue", ehr(
    ("HPI", "45M, low mood since losing his job in January, low energy, poor concentration. No SI."),
    ("SCREENING", "PHQ-9: 13."),
    ("VITALS", "BP 124/80"),
    ("A/P", "Depressed mood - talked through options; he wants to think it over with his wife. Return "
     "in 3 weeks."),
    colon=True), enc="office")
c.note("2026-04-27", "Office Visit", "Depression", ehr(
    ("CC", "Follow-up for depression"),
    ("HPI", "Mood unchanged, ready to start treatment."),
    ("A/P", "Major depressive disorder, moderate - start sertraline 50 mg daily; referral to behavioral "
     "health placed."),
    colon=True), enc="office")
c.expect("DSF-E", "closed", "", "PHQ-9 13: screened", group="1")
c.expect("DSF-E", "closed", "", "positive PHQ-9 on 4/7, sertraline and a referral on 4/27: day 20, within "
         "30 days", group="2")
c.expect("CMS2", "open", "no_evidence", "CMS2 needs the follow-up at the visit or up to 2 days after; "
         "day 20 is late (the same facts close DSF-E)")

c = case(70, born(68, "12-12"), "F", R, "prov-r1", "medicare")
c.note("2025-06-05", "Office Visit", "Depression", soap(
    ("S", "Recurrent depression worse since her sister died in April."),
    ("O", "PHQ-9 score 16. BP 134/78."),
    ("A/P", "MDD, recurrent, moderate - sertraline up to 100 mg, grief counseling referral."),
), enc="office")
c.note("2026-05-01", "Office Visit", "Depression follow up", ehr(
    ("HPI", "67F, mood better, still low energy some afternoons. Gardening again."),
    ("SCREENING", "PHQ-9 = 8"),
    ("VITALS", "BP 130/76"),
    ("A/P", "MDD recurrent - partial response, continue sertraline 100 mg, add behavioral activation, "
     "recheck 2 months."),
    colon=True), enc="office")
c.event("depression", "2021-02-01", "F33.1", "ICD10CM", "fhir:Condition:problem-list-item", end_date=None)
c.expect("CMS159", "open", "not_controlled", "index PHQ-9 16 (6/2025); PHQ-9 8 eleven months later is not "
         "below 5", group="remission")
c.expect("CMS159", "closed", "", "16 to 8: a 50% drop, a response", group="response")
c.expect("DSF-E", "closed", "", "PHQ-9 8 (negative) in 5/2026; depression since 2021 does not exclude",
         group="1")
c.expect("CMS139", "open", "no_evidence", "68 with visits, no fall-risk screening documented")

c = case(71, born(70, "03-03"), "M", E, "prov-e1", "medicare")
c.encounter("enc-071-p1", "office", "2025-10-02")
c.note("2026-03-10", "Office Visit", "Diabetes and COPD follow up", ehr(
    ("HPI", "70M DM2 and COPD with chronic respiratory failure on home oxygen. Walks with a rollator "
     "since his hip fracture."),
    ("LABS", "HbA1c 7.1% today."),
    ("VITALS", "BP 128/70, SpO2 91% on 2 L"),
    ("A/P", "1. DM2 - at goal, continue metformin.\n2. COPD - stable on oxygen.\n3. HTN - controlled."),
    colon=True), enc="office")
c.event("diabetes", "2026-03-10", "E11.9", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("advanced_illness", "2025-10-02", "J96.11", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("advanced_illness", "2026-03-10", "J96.11", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("frailty", "2026-03-10", "R26.89", "ICD10CM", "fhir:Condition:encounter-diagnosis")
c.event("retinal_eye_exam", "2025-06-10", "2023F", "CPT", "fhir:Procedure", value="no_apparent_retinopathy")
c.expect("COL-E", "open", "no_evidence", "advanced illness at two visits but frailty coded on one date only: "
         "HEDIS needs two dates of service, so no exclusion; no screening documented")
c.expect("CMS130", "excluded", "", "the eCQM accepts one frailty indication with advanced illness (its CQL)")
c.expect("EED", "closed", "", "retinal exam 6/2025 coded without retinopathy (CPT II 2023F): the prior-year "
         "exam counts when documented negative")
c.expect("ACP", "open", "no_evidence", "66-80 with advanced illness at two visits; no advance care planning "
         "documented")

# --------------------------------------------------------------------------------------------
# Follow-up notes: more of the same patients' charts (checked against each case's outcomes)
# --------------------------------------------------------------------------------------------

BY_ID = {c.patient_id: c for c in CASES}


def more(num: int) -> Case:
    return BY_ID[f"demo-{num:03d}"]


more(1).note("2026-08-20", "Nurse Visit", "BP check", soap(
    ("", "Nurse visit for BP check per Dr. N1. Seated 5 min: 134/82. Repeat L arm 130/80. Pt reports "
         "taking lisinopril daily. Routed to provider. -- LPN"),
), enc="office_low")
more(2).note("2026-11-18", "Radiology Report", "SCREENING MAMMOGRAM BILATERAL", ehr(
    ("EXAMINATION", "Screening mammogram, bilateral, 2D with tomosynthesis."),
    ("CLINICAL HISTORY", "Annual screening. Maternal aunt with breast cancer."),
    ("COMPARISON", "11/2024"),
    ("FINDINGS", "Scattered fibroglandular densities. No suspicious masses, calcifications or "
     "distortion. Stable benign-appearing calcifications right upper outer quadrant."),
    ("IMPRESSION", "BI-RADS 2: Benign. Next screening mammogram in 1 year."),
    colon=True), enc="mammogram", provider_id="prov-rad1")
more(3).note("2026-06-10", "Telephone Encounter", "GI scheduling", soap(
    ("", "GI office LVM x2 to schedule screening colonoscopy, no call back yet. Letter mailed. -- MA"),
), enc=None)
more(4).note("2026-10-01", "Office Visit", "Flu vaccine / follow up", soap(
    ("S", "75F here for flu shot and BP check. No new concerns. Son drove her."),
    ("O", "BP 132/72"),
    ("A/P", "Influenza vaccine high-dose given R deltoid. RTC 6 mo."),
), enc="office_low")
more(5).note("2026-09-08", "Telephone Encounter", "Knee injection", soap(
    ("", "Pt requests steroid injection R knee, scheduled with Dr. E2 9/22. -- front desk"),
), enc=None)
more(6).note("2026-05-11", "Office Visit", "Cough", ehr(
    ("HPI", "62M w/ asthma, cough and wheeze x 5 d after a cold. Using albuterol 4x/d."),
    ("SOCIAL", "Former smoker."),
    ("VITALS", "BP 124/78 SpO2 95% RR 18"),
    ("A/P", "Asthma exacerbation, mild - prednisone 40 mg x 5 d, continue Symbicort."),
    colon=True), enc="office_low")
more(7).note("2026-12-14", "Telephone Encounter", "Appointment cancelled", soap(
    ("", "Pt cancelled her 12/16 mammogram appt (work conflict). Reschedule requested for January. "
         "-- scheduling"),
), enc=None)
more(8).note("2026-12-17", "Office Visit", "Hospital follow-up", ehr(
    ("HPI", "67M seen after admission 12/6-12/10 for COPD exacerbation. On day 7 of prednisone taper. "
     "Breathing near baseline."),
    ("MEDICATION RECONCILIATION", "Discharge med list reviewed and reconciled with home meds: "
     "prednisone taper added, azithromycin completed, Trelegy and albuterol continued."),
    ("VITALS", "BP 130/70 SpO2 91%"),
    ("A/P", "COPD - finish taper, pulm rehab."),
    colon=True), enc="tcm")
more(10).note("2026-10-12", "Telephone Encounter", "Smoking cessation follow up", soap(
    ("", "F/u call: pt quit smoking 3 weeks ago with the patch, now on 14 mg. Some cravings, using "
         "gum. Congratulated, continue taper. -- RN"),
), enc="telephone")
more(11).note("2026-11-30", "Telephone Encounter", "Care gap outreach", soap(
    ("", "Outreach re: breast cancer screening. Pt again declines mammogram. Noted in chart. -- CC"),
), enc=None)
more(12).note("2026-06-30", "Office Visit", "Diabetes follow up", soap(
    ("S", "53M on semaglutide 0.5 mg now, some nausea first 2 wks, down 9 lb."),
    ("O", "BP 122/78. HbA1c 6.9%"),
    ("A/P", "DM2 - at goal, continue semaglutide 0.5 mg. Eye exam with Dr. Okafor in Sept."),
), enc="office")
more(13).note("2026-03-03", "Office Visit", "Follow up", soap(
    ("S", "Sinus sx resolved. Asks about knee pain with stairs."),
    ("O", "BP 120/70. Crepitus both knees, no effusion."),
    ("A/P", "Patellofemoral pain - quad strengthening handout."),
), enc="office_low")
more(14).note("2026-09-09", "Telephone Encounter", "Varenicline follow up", soap(
    ("", "On varenicline 1 mg bid, down to 3 cigarettes/day. Vivid dreams, tolerable. Continue. -- RN"),
), enc="telephone")
more(15).note("2026-10-05", "Telephone Encounter", "Gout flare", soap(
    ("", "Pt with L great toe pain and swelling since yesterday. Colchicine 1.2 mg then 0.6 mg in 1 "
         "hr sent. Continue allopurinol. -- Dr. R1"),
), enc="telephone")
more(18).note("2026-10-15", "Procedure Note", "Surveillance colonoscopy", mts(
    ("PROCEDURE", "Colonoscopy."),
    ("INDICATION", "Personal history of colon cancer, surveillance."),
    ("FINDINGS", "Colo-colonic anastomosis in the sigmoid at 25 cm, patent, no recurrence.  No "
     "polyps.  Mild diverticulosis."),
    ("IMPRESSION", "No evidence of recurrent neoplasia.  Repeat in 3 years."),
), enc="colonoscopy", provider_id="prov-gi1")
more(20).note("2026-05-14", "Home Visit", "Home visit (hospice)", soap(
    ("", "Home visit with hospice RN present. Pt comfortable on long-acting morphine, eating little. "
         "Daughter (HCP) at bedside. Goals remain comfort-focused, DNR. -- Dr. N1"),
), enc=None)
more(21).note("2026-09-14", "Office Visit", "Knee follow up", ehr(
    ("HPI", "MRI showed medial meniscus tear, s/p PT x 6 wks, better. Wants to avoid surgery."),
    ("VITALS", "BP 128/82"),
    ("A/P", "Meniscal tear - continue home program, sports med prn."),
    colon=True), enc="office_low")
more(22).note("2026-07-07", "Telephone Encounter", "GAD follow up", soap(
    ("", "Pt doing well on escitalopram 10 mg, no side effects. Refill x 90d. -- Dr. E2"),
), enc="telephone")
more(26).note("2026-11-17", "Office Visit", "Rash follow up", soap(
    ("S", "Rash resolved with the cream and new detergent."),
    ("O", "BP 130/76. Skin clear."),
    ("A/P", "Resolved contact dermatitis."),
), enc="office_low")
more(28).note("2026-03-10", "Office Visit", "BP follow up", soap(
    ("S", "58F HTN on losartan 50, home BP 130s/80s."),
    ("O", "BP 138/88"),
    ("A/P", "HTN - at goal, continue."),
), enc="office_low")
more(30).note("2026-03-10", "Telephone Encounter", "PT referral", soap(
    ("", "Pt asking for PT referral for L shoulder, referral placed to Riverside PT. -- MA"),
), enc=None)
more(33).note("2026-03-26", "Behavioral Health Note", "LCSW intake", ehr(
    ("IDENTIFYING INFORMATION", "26 y/o F referred by PCP for depression."),
    ("ASSESSMENT", "PHQ-9 today 10. Themes: grief over relationship, financial stress. No SI."),
    ("PLAN", "CBT weekly x 8. Safety plan reviewed."),
    colon=True), enc="office_low", provider_id="prov-bh1")
more(33).note("2026-06-25", "Office Visit", "Depression follow up", ehr(
    ("HPI", "Sertraline 50 mg x 3 mo, in weekly CBT. Mood much better. Still smoking a few "
     "cigarettes a day, not interested in quitting."),
    ("SCREENING", "PHQ-9 = 5."),
    ("VITALS", "BP 108/70"),
    ("A/P", "MDD improving - continue sertraline 50 mg."),
    colon=True), enc="office")
more(36).note("2026-10-06", "Telephone Encounter", "Lab results", soap(
    ("", "CBC, TSH, ferritin, CMP normal. Pt informed via portal. -- RN"),
), enc=None)
more(38).note("2026-10-20", "Nurse Visit", "Flu vaccine", soap(
    ("", "Fluzone High-Dose given L deltoid. VIS given. No reaction after 15 min. -- LPN"),
), enc="office_low")
more(39).note("2026-11-10", "Telephone Encounter", "Pap result", soap(
    ("", "Pap 11/3: NILM, HPV negative. Pt notified, repeat cotest in 5 yrs. -- RN"),
), enc=None)
more(40).note("2026-06-11", "Nurse Visit", "BP check", soap(
    ("", "BP 146/92, repeat 144/90. Taking amlodipine 10 mg. Routed to Dr. E2. -- MA"),
), enc="office_low")
more(41).note("2026-05-02", "Discharge Summary", "Discharge summary", ehr(
    ("ADMISSION DATE", "04/28/2026"),
    ("DISCHARGE DATE", "05/02/2026"),
    ("DIAGNOSES", "Acute on chronic HFpEF; hypertension; hypokalemia"),
    ("HOSPITAL COURSE", "IV furosemide with 6 lb diuresis. K repleted. Echo EF 60%, grade II "
     "diastolic dysfunction."),
    ("DISCHARGE MEDICATIONS", "furosemide 40 mg daily (new dose), metoprolol succinate 50 mg, "
     "lisinopril 10 mg, atorvastatin 20 mg, KCl 20 mEq daily (new)"),
    ("FOLLOW UP", "PCP within 7 days."),
    colon=True), enc=None, provider_id="prov-hosp1")
more(44).note("2026-04-09", "Nurse Visit", "BP recheck", soap(
    ("", "BP recheck: 128/82, repeat 126/80. Home log average 124/78 over 2 weeks. Per Dr. N2: "
         "normal BP, no hypertension, recheck at next physical. -- RN"),
), enc="office_low")
more(47).note("2026-02-19", "Prenatal Visit", "New OB intake", ehr(
    ("HPI", "34 y/o G2P1 at 12w1d, planned pregnancy. Chronic HTN on labetalol since 2022 (switched "
     "from lisinopril preconception)."),
    ("VITALS", "BP 128/80"),
    ("A/P", "IUP, dating US today c/w LMP. Baby ASA 81 mg from 12 wks. Prenatal labs."),
    colon=True), enc="office")
more(48).note("2026-02-04", "Nephrology Note", "Dialysis rounds", soap(
    ("", "Seen on HD. Tolerating 4h runs, EDW 82 kg. Pre-HD BP 162/90, post 138/82. Kt/V 1.4. "
         "-- Nephrology"),
), enc=None, provider_id="prov-neph1")
more(55).note("2026-10-22", "Telephone Encounter", "DPP check-in", soap(
    ("", "Pt in week 12 of the Diabetes Prevention Program, down 7 lb. -- health coach"),
), enc=None)
more(57).note("2026-10-05", "Telephone Encounter", "Lab results", soap(
    ("", "A1c 7.4 on 10/2 - much improved after pump changes. Pt informed. -- RN"),
), enc=None)
more(58).note("2026-10-15", "Telephone Encounter", "Refill", soap(
    ("", "Sertraline 100 mg refill x 90 d. Pt doing well. -- RN"),
), enc=None)
more(62).note("2026-06-18", "Psychiatry Note", "Medication management", ehr(
    ("INTERVAL HISTORY", "Euthymic. Sleeping 7-8 h. No hypomanic sx. Adherent with lithium."),
    ("RATING SCALES", "PHQ-9: 4. YMRS: 2."),
    ("PLAN", "Continue lithium 600 bid, quetiapine 100 qhs. Li level 0.8."),
    colon=True), enc="office_low", provider_id="prov-psy1")
more(3).note("2026-09-24", "Office Visit", "GERD follow up", soap(
    ("S", "Heartburn resolved on omeprazole, tapering to prn. Has not scheduled the colonoscopy yet."),
    ("O", "BP 122/76 Wt down 6 lb"),
    ("A/P", "GERD improved - omeprazole prn."),
), enc="office_low")
more(14).note("2026-12-01", "Telephone Encounter", "Quit check", soap(
    ("", "Pt reports he has not smoked since 11/15! Finishing varenicline. -- RN"),
), enc="telephone")
more(16).note("2026-10-13", "Telephone Encounter", "Dysuria", soap(
    ("", "2 d dysuria and frequency, no fever or flank pain, not pregnant (postmenopausal? LMP 8 mo ago). "
         "Nitrofurantoin 100 mg bid x 5 d sent. -- NP"),
), enc="telephone")
more(19).note("2026-10-01", "Procedure Note", "Pouchoscopy", ehr(
    ("PROCEDURE", "Pouchoscopy with biopsies."),
    ("INDICATION", "Surveillance, J-pouch for ulcerative colitis (s/p total proctocolectomy 2012)."),
    ("FINDINGS", "Normal pouch body and afferent limb, mild cuffitis. Biopsies of the cuff taken."),
    ("IMPRESSION", "Mild cuffitis. Mesalamine suppositories."),
    colon=True), enc="colonoscopy", provider_id="prov-gi1")
more(20).note("2026-07-18", "Telephone Encounter", "Death notification", soap(
    ("", "Hospice RN called: pt died peacefully at home this morning with family present. "
         "Condolence card sent. -- Dr. N1"),
), enc=None)
more(23).note("2026-10-28", "Telephone Encounter", "DEXA question", soap(
    ("", "Pt asked whether she needs DEXA this year - no, due 2027. Continue alendronate. -- RN"),
), enc=None)
more(24).note("2026-08-18", "Office Visit", "Follow up", soap(
    ("S", "68M for 2nd Shingrix. Feels well, golfing."),
    ("O", "BP 128/78"),
    ("A/P", "Shingrix #2 given L deltoid. RTC 6 mo."),
), enc="office_low")
more(25).note("2026-05-20", "Telephone Encounter", "Pathology result", soap(
    ("", "Path from 5/12 colonoscopy: tubular adenoma, no dysplasia. Repeat colonoscopy 7 yrs (2033). "
         "Letter mailed. -- GI RN"),
), enc=None, provider_id="prov-gi1")
more(29).note("2026-06-10", "Office Visit", "Sore throat", soap(
    ("S", "41F 3 d sore throat, fever 100.8, no cough."),
    ("O", "T 100.4 BP 110/70. Tonsillar exudate, tender anterior nodes. Rapid strep +."),
    ("A/P", "Strep pharyngitis - amoxicillin 500 bid x 10 d."),
), enc="office_low")
more(31).note("2026-09-15", "Telephone Encounter", "Follow up", soap(
    ("", "Breast pain much better with the supportive bra. No lump. -- RN"),
), enc="telephone")
more(35).note("2026-08-04", "Office Visit", "Follow up", ehr(
    ("HPI", "44F f/u. Outside hospital has not sent the 2017 op note despite two requests; pt still "
     "unsure whether the cervix was removed. Hot flashes."),
    ("VITALS", "BP 120/78"),
    ("A/P", "Records request #3. Vasomotor sx - discussed options."),
    colon=True), enc="office_low")
more(37).note("2026-08-10", "Telephone Encounter", "Refill", soap(
    ("", "Sprintec refill sent to pharmacy. -- MA"),
), enc=None)
more(43).note("2026-11-10", "Telephone Encounter", "Fall", soap(
    ("", "Daughter called: pt slipped in the bathroom, bruised L hip, walking ok. Advised urgent care "
         "if unable to bear weight; home safety eval ordered. -- RN"),
), enc="telephone")
more(50).note("2026-09-20", "Discharge Summary", "Discharge summary", ehr(
    ("ADMISSION DATE", "09/15/2026"),
    ("DISCHARGE DATE", "09/20/2026"),
    ("DIAGNOSES", "Cellulitis of the right foot; type 2 diabetes with hyperglycemia"),
    ("HOSPITAL COURSE", "IV cefazolin, transitioned to cephalexin. Foot x-ray no osteomyelitis. "
     "Insulin adjusted; steroid not given."),
    ("DISCHARGE MEDICATIONS", "cephalexin 500 mg qid x 7 d; glargine 24 u; metformin 1000 bid"),
    colon=True), enc=None, provider_id="prov-hosp1")
more(54).note("2026-07-01", "Discharge Summary", "Discharge summary", ehr(
    ("ADMISSION DATE", "06/27/2026"),
    ("DISCHARGE DATE", "07/01/2026"),
    ("DIAGNOSES", "Upper GI bleed, gastric ulcer; acute blood loss anemia; atrial fibrillation"),
    ("HOSPITAL COURSE", "EGD: clean-based gastric ulcer. 2 u PRBC. Apixaban stopped."),
    ("DISCHARGE MEDICATIONS", "pantoprazole 40 mg bid; metformin 500 mg bid; lisinopril 10 mg"),
    colon=True), enc=None, provider_id="prov-hosp1")
more(57).note("2026-02-12", "Endocrinology Note", "T1DM visit", soap(
    ("S", "T1DM on MDI, interested in a pump. Frequent lows overnight."),
    ("O", "BP 114/72. A1c 8.9% (POC)."),
    ("A/P", "Start Omnipod 5, pump training 3/2026. Dexcom continued."),
), enc="office", provider_id="prov-endo1")
more(59).note("2026-11-05", "Office Visit", "Sore throat", soap(
    ("S", "15F sore throat x 2 d, fever, no cough. Mom present."),
    ("O", "T 101.2 BP 100/62. Exudative tonsils. Rapid strep positive."),
    ("A/P", "Strep pharyngitis - amoxicillin. School note given."),
), enc="office_low")
more(61).note("2026-09-29", "Telephone Encounter", "Lab results", soap(
    ("", "Lipids: LDL 162. Pt notified, diet/exercise, recheck 6 mo. -- RN"),
), enc=None)
more(63).note("2026-07-28", "Office Visit", "Follow up", soap(
    ("S", "65M f/u lipids, GERD. Still using nicotine gum a few pieces/day, no cigarettes."),
    ("O", "BP 126/78"),
    ("A/P", "Stable. Encouraged tapering off the gum."),
), enc="office_low")
more(65).note("2026-09-02", "Office Visit", "Follow up", soap(
    ("S", "46M f/u weight and labs. Walking 30 min/day."),
    ("O", "BP 122/76 BMI 30.2"),
    ("A/P", "Obesity - continue lifestyle changes."),
), enc="office_low")
