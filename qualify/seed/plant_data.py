"""The demo plant: a sterile-injectables fill-finish site in Cork and a packaging
and QC site in Raleigh, working in-house and for one CDMO client (Novexa).
Pure data; `plant.py` replays it through the services."""

SITES = [
    ("CRK", "Cork fill-finish", "Europe/Dublin", "deviation"),
    ("RAL", "Raleigh packaging & QC", "America/New_York", "refuse"),
]

DEPARTMENTS = [
    ("CRK", "MFG", "Aseptic manufacturing"),
    ("CRK", "QC", "Quality control laboratory"),
    ("CRK", "QA", "Quality assurance"),
    ("CRK", "ENG", "Engineering & maintenance"),
    ("CRK", "WH", "Warehouse"),
    ("RAL", "PKG", "Packaging"),
    ("RAL", "MIC", "QC microbiology"),
    ("RAL", "QA", "Quality assurance"),
]

CLIENT = ("NVX", "Novexa Biologics")

FRAMEWORKS = [
    ("GMP", "Good Manufacturing Practice (21 CFR 210/211, EU GMP)"),
    ("GDP", "Good Distribution Practice"),
    ("GLP", "Good Laboratory Practice"),
    ("ISO13485", "ISO 13485 medical devices QMS"),
    ("PSM", "OSHA Process Safety Management"),
]

# code, name, site, frameworks, client
JOB_FUNCTIONS = [
    ("FILL-OP", "Aseptic filling operator", "CRK", ["GMP"], None),
    ("COMP-TECH", "Compounding technician", "CRK", ["GMP"], None),
    ("VIS-INSP", "Visual inspector", "CRK", ["GMP"], None),
    ("CLEAN", "Cleanroom cleaner", "CRK", ["GMP"], None),
    ("STER-OP", "Autoclave and depyrogenation operator", "CRK", ["GMP"], None),
    ("QC-CHEM", "QC analyst, chemistry", "CRK", ["GMP", "GLP"], None),
    ("QC-MICRO", "QC microbiologist", "RAL", ["GMP", "GLP"], None),
    ("QA-SPEC", "QA specialist", "CRK", ["GMP"], None),
    ("QA-REL", "QA batch release officer", "CRK", ["GMP"], None),
    ("MAINT", "Maintenance technician", "CRK", ["GMP", "PSM"], None),
    ("METRO", "Metrology technician", "CRK", ["GMP"], None),
    ("WH-OP", "Warehouse operator", "CRK", ["GMP", "GDP"], None),
    ("PKG-OP", "Packaging operator", "RAL", ["GMP", "GDP"], None),
    ("SUPV", "Production supervisor", "CRK", ["GMP"], None),
    ("NVX-FILL", "Novexa filling operator", "CRK", ["GMP"], "NVX"),
]

# number, title, type, frameworks, client, revisions: [(label, retraining, summary)]
DOCUMENTS = [
    ("SOP-001", "Gowning for grade A/B cleanrooms", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Added glove sanitisation step"),
      ("3", False, "Corrected figure numbering")]),
    ("SOP-002", "Aseptic technique and interventions", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Intervention list aligned with APS")]),
    ("SOP-003", "Environmental monitoring of cleanrooms", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "New settle-plate locations")]),
    ("SOP-005", "Cleaning and disinfection of grade A/B areas", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Sporicide rotation added")]),
    ("SOP-008", "Line clearance", "sop", ["GMP"], None, [("1", True, "First issue")]),
    ("SOP-010", "Batch record completion and good documentation practice", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", False, "Typographical corrections")]),
    ("SOP-012", "Compounding of bulk solution", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Filter integrity test before use")]),
    ("SOP-014", "Operation of filling line 2", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Stopper bowl change"),
      ("3", False, "Editorial"), ("4", True, "New weight check frequency"),
      ("5", True, "Needle change procedure")]),
    ("SOP-015", "Lyophiliser loading and unloading", "sop", ["GMP"], None,
     [("1", True, "First issue")]),
    ("SOP-018", "100% visual inspection of filled vials", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Defect library updated")]),
    ("SOP-020", "Autoclave operation", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Bowie-Dick test daily")]),
    ("SOP-021", "Depyrogenation tunnel operation", "sop", ["GMP"], None,
     [("1", True, "First issue")]),
    ("SOP-025", "Media fill (aseptic process simulation)", "sop", ["GMP"], None,
     [("1", True, "First issue")]),
    ("SOP-030", "Deviation management", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Risk classification added")]),
    ("SOP-031", "CAPA management", "sop", ["GMP"], None, [("1", True, "First issue")]),
    ("SOP-032", "Change control", "sop", ["GMP"], None, [("1", True, "First issue")]),
    ("SOP-035", "Batch disposition and QP release", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Annex 16 alignment")]),
    ("SOP-040", "HPLC operation and system suitability", "sop", ["GMP", "GLP"], None,
     [("1", True, "First issue")]),
    ("SOP-041", "Out-of-specification investigations", "sop", ["GMP", "GLP"], None,
     [("1", True, "First issue"), ("2", True, "Phase IA checklist")]),
    ("SOP-045", "Sterility testing", "sop", ["GMP", "GLP"], None, [("1", True, "First issue")]),
    ("SOP-046", "Endotoxin testing (LAL)", "sop", ["GMP", "GLP"], None,
     [("1", True, "First issue")]),
    ("SOP-050", "Preventive maintenance of filling equipment", "sop", ["GMP"], None,
     [("1", True, "First issue")]),
    ("SOP-051", "Calibration of measuring instruments", "sop", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Tolerance table revised")]),
    ("SOP-052", "Lockout/tagout of process equipment", "sop", ["PSM"], None,
     [("1", True, "First issue")]),
    ("SOP-060", "Goods receipt and quarantine", "sop", ["GMP", "GDP"], None,
     [("1", True, "First issue")]),
    ("SOP-061", "Cold-chain storage and shipment", "sop", ["GDP"], None,
     [("1", True, "First issue"), ("2", True, "Excursion handling")]),
    ("SOP-070", "Packaging line set-up and reconciliation", "sop", ["GMP"], None,
     [("1", True, "First issue")]),
    ("SOP-071", "Serialisation and aggregation", "sop", ["GMP", "GDP"], None,
     [("1", True, "First issue")]),
    ("POL-001", "Data integrity policy (ALCOA+)", "policy", ["GMP"], None,
     [("1", True, "First issue")]),
    ("POL-002", "Electronic signature policy", "policy", ["GMP"], None,
     [("1", True, "First issue")]),
    ("WI-014-01", "Filling line 2: needle change", "wi", ["GMP"], None,
     [("1", True, "First issue")]),
    ("WI-014-02", "Filling line 2: weight check", "wi", ["GMP"], None,
     [("1", True, "First issue"), ("2", True, "Frequency every 15 minutes")]),
    ("WI-018-01", "Inspection booth set-up", "wi", ["GMP"], None, [("1", True, "First issue")]),
    ("WI-020-01", "Autoclave load patterns", "wi", ["GMP"], None, [("1", True, "First issue")]),
    ("WI-045-01", "Isolator glove integrity test", "wi", ["GMP"], None,
     [("1", True, "First issue")]),
    ("FRM-030-01", "Deviation report form", "form", ["GMP"], None, [("1", True, "First issue")]),
    ("SPEC-100", "Finished product specification, 10 mL vial", "spec", ["GMP"], None,
     [("1", True, "First issue")]),
    ("NVX-SOP-001", "Novexa: handling of NVX-201 drug substance", "sop", ["GMP"], "NVX",
     [("1", True, "First issue"), ("2", True, "Thaw time limits")]),
    ("NVX-SOP-002", "Novexa: NVX-201 filling parameters", "sop", ["GMP"], "NVX",
     [("1", True, "First issue")]),
    ("NVX-SOP-003", "Novexa: sponsor notification of deviations", "sop", ["GMP"], "NVX",
     [("1", True, "First issue")]),
]

# Extra requirements beyond read-and-understand of each document:
# code, title, method, document, recurrence months, evidence, pass mark, trainer requirement
EXTRA_REQUIREMENTS = [
    ("TRN-TRAINER", "Qualified trainer (train-the-trainer)", "external", None, 36,
     "signature", None, None),
    ("GMP-BASICS", "Annual GMP refresher", "classroom", None, 12, "signature", None,
     "TRN-TRAINER"),
    ("DI-ALCOA", "Data integrity e-learning (ALCOA+)", "elearning", "POL-001", 24,
     "assessment", "80.00", None),
    ("OJT-FILL2", "Filling line 2 practical qualification", "ojt", "SOP-014", None,
     "demonstration", None, "TRN-TRAINER"),
    ("OJT-APS", "Aseptic interventions practical (media fill participation)", "ojt",
     "SOP-025", 12, "demonstration", None, "TRN-TRAINER"),
    ("PSM-LOTO", "Lockout/tagout practical (OSHA PSM)", "ojt", "SOP-052", 12,
     "demonstration", None, "TRN-TRAINER"),
]

COMMON = ["GMP-BASICS", "DI-ALCOA", "R:SOP-010", "R:POL-002"]
ASEPTIC = ["R:SOP-001", "R:SOP-002", "R:SOP-005", "R:SOP-003"]

# Job function -> requirements ("R:NUMBER" = read-and-understand of that document)
MATRIX = {
    "FILL-OP": COMMON + ASEPTIC + ["R:SOP-008", "R:SOP-014", "R:WI-014-01", "R:WI-014-02",
                                   "R:SOP-025", "OJT-FILL2", "OJT-APS"],
    "COMP-TECH": COMMON + ASEPTIC + ["R:SOP-012", "R:SOP-008"],
    "VIS-INSP": COMMON + ["R:SOP-018", "R:WI-018-01", "R:SPEC-100"],
    "CLEAN": ["GMP-BASICS", "R:SOP-001", "R:SOP-005"],
    "STER-OP": COMMON + ["R:SOP-001", "R:SOP-020", "R:SOP-021", "R:WI-020-01"],
    "QC-CHEM": COMMON + ["R:SOP-040", "R:SOP-041", "R:SPEC-100"],
    "QC-MICRO": COMMON + ["R:SOP-003", "R:SOP-045", "R:SOP-046", "R:WI-045-01", "R:SOP-041"],
    "QA-SPEC": COMMON + ["R:SOP-030", "R:SOP-031", "R:SOP-032"],
    "QA-REL": COMMON + ["R:SOP-030", "R:SOP-035", "R:SPEC-100"],
    "MAINT": COMMON + ["R:SOP-050", "R:SOP-052", "PSM-LOTO", "R:SOP-001"],
    "METRO": COMMON + ["R:SOP-051"],
    "WH-OP": COMMON + ["R:SOP-060", "R:SOP-061"],
    "PKG-OP": COMMON + ["R:SOP-070", "R:SOP-071", "R:SOP-008"],
    "SUPV": COMMON + ["R:SOP-014", "R:SOP-030", "R:SOP-008"],
    "NVX-FILL": ["R:NVX-SOP-001", "R:NVX-SOP-002", "R:NVX-SOP-003"],
}

# People: (first, last, site, department, job functions); deterministic.
FIRST_NAMES = [
    "Aoife", "Brendan", "Ciara", "Declan", "Eimear", "Fionn", "Grainne", "Hugh", "Isabel",
    "Jamal", "Kavya", "Liam", "Maeve", "Niall", "Orla", "Padraig", "Roisin", "Sean",
    "Tadhg", "Una", "Wei", "Yusuf", "Zofia", "Marco", "Priya", "Kenji", "Lucia", "Omar",
    "Hannah", "Diego",
]
LAST_NAMES = [
    "Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan", "O'Brien", "Lynch", "Nolan",
    "Okafor", "Nowak", "Fernandes", "Tanaka", "Schmidt", "Rossi", "Haddad", "Kim", "Patel",
]

# How many people hold each job function, and where (site, department).
STAFFING = [
    ("FILL-OP", 12, "CRK", "MFG"),
    ("COMP-TECH", 4, "CRK", "MFG"),
    ("VIS-INSP", 5, "CRK", "MFG"),
    ("CLEAN", 3, "CRK", "MFG"),
    ("STER-OP", 3, "CRK", "MFG"),
    ("QC-CHEM", 4, "CRK", "QC"),
    ("QC-MICRO", 4, "RAL", "MIC"),
    ("QA-SPEC", 3, "CRK", "QA"),
    ("QA-REL", 2, "CRK", "QA"),
    ("MAINT", 4, "CRK", "ENG"),
    ("METRO", 2, "CRK", "ENG"),
    ("WH-OP", 3, "CRK", "WH"),
    ("PKG-OP", 5, "RAL", "PKG"),
    ("SUPV", 2, "CRK", "MFG"),
]
