"""Realistic GIAS all-establishments extracts for demos, tests and the import benchmark.

The rows imitate the DfE "Get Information about Schools" public CSV: ~139 columns headed
exactly as GIAS heads them, every field quoted, dates written dd-mm-yyyy, the file encoded
Windows-1252, about half the establishments closed, and a few names with a curly apostrophe
(which Windows-1252 can hold and a UTF-8 reader would mangle). The same seed always gives the
same rows, so a test or a demo can rely on them.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ENCODING = "cp1252"

# Every heading of the extract, in GIAS's order. The importer reads ~26 of them; the rest
# are there so that the file is as wide (and as slow to parse) as the real one.
HEADINGS: tuple[str, ...] = (
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)",
    "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)",
    "ReasonEstablishmentOpened (name)",
    "OpenDate",
    "ReasonEstablishmentClosed (code)",
    "ReasonEstablishmentClosed (name)",
    "CloseDate",
    "PhaseOfEducation (code)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Boarders (code)",
    "Boarders (name)",
    "NurseryProvision (name)",
    "OfficialSixthForm (code)",
    "OfficialSixthForm (name)",
    "Gender (code)",
    "Gender (name)",
    "ReligiousCharacter (code)",
    "ReligiousCharacter (name)",
    "ReligiousEthos (name)",
    "Diocese (code)",
    "Diocese (name)",
    "AdmissionsPolicy (code)",
    "AdmissionsPolicy (name)",
    "SchoolCapacity",
    "SpecialClasses (code)",
    "SpecialClasses (name)",
    "CensusDate",
    "NumberOfPupils",
    "NumberOfBoys",
    "NumberOfGirls",
    "PercentageFSM",
    "TrustSchoolFlag (code)",
    "TrustSchoolFlag (name)",
    "Trusts (code)",
    "Trusts (name)",
    "SchoolSponsorFlag (name)",
    "SchoolSponsors (name)",
    "FederationFlag (name)",
    "Federations (code)",
    "Federations (name)",
    "UKPRN",
    "FEHEIdentifier",
    "FurtherEducationType (name)",
    "OfstedLastInsp",
    "LastChangedDate",
    "Street",
    "Locality",
    "Address3",
    "Town",
    "County (name)",
    "Postcode",
    "SchoolWebsite",
    "TelephoneNum",
    "HeadTitle (name)",
    "HeadFirstName",
    "HeadLastName",
    "HeadPreferredJobTitle",
    "BSOInspectorateName (name)",
    "InspectorateReport",
    "DateOfLastInspectionVisit",
    "NextInspectionVisit",
    "TeenMoth (name)",
    "TeenMothPlaces",
    "CCF (name)",
    "SENPRU (name)",
    "EBD (name)",
    "PlacesPRU",
    "FTProv (name)",
    "EdByOther (name)",
    "Section41Approved (name)",
    *(f"SEN{n} (name)" for n in range(1, 14)),
    "TypeOfResourcedProvision (name)",
    "ResourcedProvisionOnRoll",
    "ResourcedProvisionCapacity",
    "SenUnitOnRoll",
    "SenUnitCapacity",
    "GOR (code)",
    "GOR (name)",
    "DistrictAdministrative (code)",
    "DistrictAdministrative (name)",
    "AdministrativeWard (code)",
    "AdministrativeWard (name)",
    "ParliamentaryConstituency (code)",
    "ParliamentaryConstituency (name)",
    "UrbanRural (code)",
    "UrbanRural (name)",
    "GSSLACode (name)",
    "Easting",
    "Northing",
    "MSOA (name)",
    "LSOA (name)",
    "InspectorateName (name)",
    "SENStat",
    "SENNoStat",
    "BoardingEstablishment (name)",
    "PropsName",
    "PreviousLA (code)",
    "PreviousLA (name)",
    "PreviousEstablishmentNumber",
    "RSCRegion (name)",
    "Country (name)",
    "UPRN",
    "SiteName",
    "QABName (code)",
    "QABName (name)",
    "EstablishmentAccredited (code)",
    "EstablishmentAccredited (name)",
    "QABReport",
    "CHNumber",
    "MSOA (code)",
    "LSOA (code)",
    "FSM",
    "AccreditationExpiryDate",
    "AdministrativeCounty (name)",
    "ChildrensCentresFlag (name)",
)


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    region: str


# English local authorities with their DfE codes and regions, enough to spread a full-size
# extract over ~150 LAs as the real one is.
_NE, _NW, _YH = "North East", "North West", "Yorkshire and the Humber"
_EM, _WM, _EE = "East Midlands", "West Midlands", "East of England"
_LO, _SE, _SW = "London", "South East", "South West"
LOCAL_AUTHORITIES: tuple[LocalAuthority, ...] = tuple(
    LocalAuthority(code, name, region)
    for code, name, region in (
        ("201", "City of London", _LO),
        ("202", "Camden", _LO),
        ("203", "Greenwich", _LO),
        ("204", "Hackney", _LO),
        ("205", "Hammersmith and Fulham", _LO),
        ("206", "Islington", _LO),
        ("207", "Kensington and Chelsea", _LO),
        ("208", "Lambeth", _LO),
        ("209", "Lewisham", _LO),
        ("210", "Southwark", _LO),
        ("211", "Tower Hamlets", _LO),
        ("212", "Wandsworth", _LO),
        ("213", "Westminster", _LO),
        ("301", "Barking and Dagenham", _LO),
        ("302", "Barnet", _LO),
        ("303", "Bexley", _LO),
        ("304", "Brent", _LO),
        ("305", "Bromley", _LO),
        ("306", "Croydon", _LO),
        ("307", "Ealing", _LO),
        ("308", "Enfield", _LO),
        ("309", "Haringey", _LO),
        ("310", "Harrow", _LO),
        ("311", "Havering", _LO),
        ("312", "Hillingdon", _LO),
        ("313", "Hounslow", _LO),
        ("314", "Kingston upon Thames", _LO),
        ("315", "Merton", _LO),
        ("316", "Newham", _LO),
        ("317", "Redbridge", _LO),
        ("318", "Richmond upon Thames", _LO),
        ("319", "Sutton", _LO),
        ("320", "Waltham Forest", _LO),
        ("330", "Birmingham", _WM),
        ("331", "Coventry", _WM),
        ("332", "Dudley", _WM),
        ("333", "Sandwell", _WM),
        ("334", "Solihull", _WM),
        ("335", "Walsall", _WM),
        ("336", "Wolverhampton", _WM),
        ("340", "Knowsley", _NW),
        ("341", "Liverpool", _NW),
        ("342", "St. Helens", _NW),
        ("343", "Sefton", _NW),
        ("344", "Wirral", _NW),
        ("350", "Bolton", _NW),
        ("351", "Bury", _NW),
        ("352", "Manchester", _NW),
        ("353", "Oldham", _NW),
        ("354", "Rochdale", _NW),
        ("355", "Salford", _NW),
        ("356", "Stockport", _NW),
        ("357", "Tameside", _NW),
        ("358", "Trafford", _NW),
        ("359", "Wigan", _NW),
        ("370", "Barnsley", _YH),
        ("371", "Doncaster", _YH),
        ("372", "Rotherham", _YH),
        ("373", "Sheffield", _YH),
        ("380", "Bradford", _YH),
        ("381", "Calderdale", _YH),
        ("382", "Kirklees", _YH),
        ("383", "Leeds", _YH),
        ("384", "Wakefield", _YH),
        ("390", "Gateshead", _NE),
        ("391", "Newcastle upon Tyne", _NE),
        ("392", "North Tyneside", _NE),
        ("393", "South Tyneside", _NE),
        ("394", "Sunderland", _NE),
        ("420", "Isles of Scilly", _SW),
        ("800", "Bath and North East Somerset", _SW),
        ("801", "Bristol, City of", _SW),
        ("802", "North Somerset", _SW),
        ("803", "South Gloucestershire", _SW),
        ("805", "Hartlepool", _NE),
        ("806", "Middlesbrough", _NE),
        ("807", "Redcar and Cleveland", _NE),
        ("808", "Stockton-on-Tees", _NE),
        ("810", "Kingston upon Hull, City of", _YH),
        ("811", "East Riding of Yorkshire", _YH),
        ("812", "North East Lincolnshire", _YH),
        ("813", "North Lincolnshire", _YH),
        ("815", "North Yorkshire", _YH),
        ("816", "York", _YH),
        ("821", "Luton", _EE),
        ("822", "Bedford", _EE),
        ("823", "Central Bedfordshire", _EE),
        ("825", "Buckinghamshire", _SE),
        ("826", "Milton Keynes", _SE),
        ("830", "Derbyshire", _EM),
        ("831", "Derby", _EM),
        ("838", "Dorset", _SW),
        ("839", "Bournemouth, Christchurch and Poole", _SW),
        ("840", "County Durham", _NE),
        ("841", "Darlington", _NE),
        ("845", "East Sussex", _SE),
        ("846", "Brighton and Hove", _SE),
        ("850", "Hampshire", _SE),
        ("851", "Portsmouth", _SE),
        ("852", "Southampton", _SE),
        ("855", "Leicestershire", _EM),
        ("856", "Leicester", _EM),
        ("857", "Rutland", _EM),
        ("860", "Staffordshire", _WM),
        ("861", "Stoke-on-Trent", _WM),
        ("865", "Wiltshire", _SW),
        ("866", "Swindon", _SW),
        ("867", "Bracknell Forest", _SE),
        ("868", "Windsor and Maidenhead", _SE),
        ("869", "West Berkshire", _SE),
        ("870", "Reading", _SE),
        ("871", "Slough", _SE),
        ("872", "Wokingham", _SE),
        ("873", "Cambridgeshire", _EE),
        ("874", "Peterborough", _EE),
        ("876", "Halton", _NW),
        ("877", "Warrington", _NW),
        ("878", "Devon", _SW),
        ("879", "Plymouth", _SW),
        ("880", "Torbay", _SW),
        ("881", "Essex", _EE),
        ("882", "Southend-on-Sea", _EE),
        ("883", "Thurrock", _EE),
        ("884", "Herefordshire, County of", _WM),
        ("885", "Worcestershire", _WM),
        ("886", "Kent", _SE),
        ("887", "Medway", _SE),
        ("888", "Lancashire", _NW),
        ("889", "Blackburn with Darwen", _NW),
        ("890", "Blackpool", _NW),
        ("891", "Nottinghamshire", _EM),
        ("892", "Nottingham", _EM),
        ("893", "Shropshire", _WM),
        ("894", "Telford and Wrekin", _WM),
        ("895", "Cheshire East", _NW),
        ("896", "Cheshire West and Chester", _NW),
        ("908", "Cornwall", _SW),
        ("916", "Gloucestershire", _SW),
        ("919", "Hertfordshire", _EE),
        ("921", "Isle of Wight", _SE),
        ("925", "Lincolnshire", _EM),
        ("926", "Norfolk", _EE),
        ("929", "Northumberland", _NE),
        ("931", "Oxfordshire", _SE),
        ("933", "Somerset", _SW),
        ("935", "Suffolk", _EE),
        ("936", "Surrey", _SE),
        ("937", "Warwickshire", _WM),
        ("938", "West Sussex", _SE),
        ("940", "North Northamptonshire", _EM),
        ("941", "West Northamptonshire", _EM),
        ("942", "Cumberland", _NW),
        ("943", "Westmorland and Furness", _NW),
    )
)
_LA_BY_CODE = {la.code: la for la in LOCAL_AUTHORITIES}

_REGION_CODES = {_NE: "A", _NW: "B", _YH: "D", _EM: "E", _WM: "F", _EE: "G", _LO: "H"}
_REGION_CODES |= {_SE: "J", _SW: "K"}
# Rough centres (easting, northing) of each region, so that an LA's schools sit together.
_REGION_CENTRES = {
    _NE: (425000, 560000),
    _NW: (370000, 430000),
    _YH: (440000, 440000),
    _EM: (470000, 330000),
    _WM: (390000, 280000),
    _EE: (570000, 260000),
    _LO: (530000, 180000),
    _SE: (490000, 140000),
    _SW: (290000, 100000),
}
_POSTCODE_AREAS = {
    _NE: ("NE", "SR", "DH", "TS", "DL"),
    _NW: ("M", "OL", "BL", "SK", "WN", "L", "PR", "CH", "CA", "LA"),
    _YH: ("LS", "S", "BD", "HD", "HU", "YO", "DN", "WF"),
    _EM: ("NG", "DE", "LE", "LN", "NN"),
    _WM: ("B", "CV", "DY", "WS", "WV", "ST", "WR", "HR", "TF"),
    _EE: ("CB", "CM", "CO", "IP", "NR", "LU", "SG", "AL", "PE"),
    _LO: ("E", "N", "NW", "SE", "SW", "W", "EC", "CR", "HA", "IG"),
    _SE: ("RG", "SO", "PO", "GU", "BN", "TN", "ME", "OX", "MK", "HP", "SL"),
    _SW: ("BS", "BA", "EX", "PL", "TQ", "TR", "SN", "SP", "BH", "GL", "TA", "DT"),
}

# (phase, weight) in roughly the proportions of the full extract (all statuses).
_PHASES = (
    ("Primary", 44),
    ("Not applicable", 30),
    ("Secondary", 13),
    ("16 plus", 7),
    ("Nursery", 3),
    ("Middle deemed secondary", 1),
    ("Middle deemed primary", 1),
    ("All-through", 1),
)
_PHASE_CODES = {
    "Not applicable": "0",
    "Nursery": "1",
    "Primary": "2",
    "Middle deemed primary": "3",
    "Secondary": "4",
    "Middle deemed secondary": "5",
    "16 plus": "6",
    "All-through": "7",
}
# About 27,000 of 51,000 establishments are open in some sense.
_STATUSES = (
    ("Open", 523),
    ("Closed", 466),
    ("Open, but proposed to close", 6),
    ("Proposed to open", 5),
)
_STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3"}
_STATUS_CODES |= {"Proposed to open": "4"}

_MAINTAINED = "Local authority maintained schools"
# type -> (type code, type group, group code)
_TYPES = {
    "Community school": ("1", _MAINTAINED, "4"),
    "Voluntary aided school": ("2", _MAINTAINED, "4"),
    "Voluntary controlled school": ("3", _MAINTAINED, "4"),
    "Foundation school": ("5", _MAINTAINED, "4"),
    "Academy converter": ("34", "Academies", "10"),
    "Academy sponsor led": ("28", "Academies", "10"),
    "Free schools": ("35", "Free Schools", "11"),
    "Other independent school": ("11", "Independent schools", "3"),
    "Other independent special school": ("10", "Independent schools", "3"),
    "Community special school": ("7", "Special schools", "5"),
    "Non-maintained special school": ("8", "Special schools", "5"),
    "Academy special converter": ("33", "Academies", "10"),
    "Pupil referral unit": ("14", _MAINTAINED, "4"),
    "Higher education institutions": ("29", "Universities", "2"),
    "Further education": ("18", "Colleges", "1"),
    "Sixth form centres": ("15", "Colleges", "1"),
    "Free schools 16 to 19": ("40", "Free Schools", "11"),
    "Academy 16-19 converter": ("45", "Academies", "10"),
    "Local authority nursery school": ("15", _MAINTAINED, "4"),
}
_STATE_TYPES = (
    "Community school",
    "Community school",
    "Voluntary aided school",
    "Voluntary controlled school",
    "Foundation school",
    "Academy converter",
    "Academy converter",
    "Academy sponsor led",
    "Free schools",
)
_TYPES_BY_PHASE = {
    "Primary": _STATE_TYPES,
    "Secondary": _STATE_TYPES,
    "Middle deemed primary": _STATE_TYPES,
    "Middle deemed secondary": _STATE_TYPES,
    "All-through": _STATE_TYPES,
    "Nursery": ("Local authority nursery school",),
    "16 plus": (
        "Further education",
        "Sixth form centres",
        "Free schools 16 to 19",
        "Academy 16-19 converter",
    ),
    "Not applicable": (
        "Other independent school",
        "Other independent school",
        "Other independent special school",
        "Community special school",
        "Non-maintained special school",
        "Academy special converter",
        "Pupil referral unit",
        "Higher education institutions",
    ),
}
_AGES = {
    "Primary": ((4, 11), (4, 11), (3, 11), (4, 7), (7, 11)),
    "Secondary": ((11, 16), (11, 18), (11, 18), (13, 18)),
    "Middle deemed primary": ((8, 12), (9, 13)),
    "Middle deemed secondary": ((9, 13), (10, 14)),
    "All-through": ((4, 18), (3, 19)),
    "Nursery": ((2, 5), (3, 5)),
    "16 plus": ((16, 99), (16, 19)),
    "Not applicable": ((3, 18), (2, 19), (11, 16), (18, 99)),
}
_PUPILS = {
    "Primary": (40, 700),
    "Secondary": (300, 2000),
    "Middle deemed primary": (150, 600),
    "Middle deemed secondary": (200, 800),
    "All-through": (600, 2200),
    "Nursery": (30, 160),
    "16 plus": (200, 3000),
    "Not applicable": (10, 900),
}

_SAINTS = (
    "St Mary's",
    "St Joseph's",
    "St John's",
    "St Peter's",
    "St Paul's",
    "Holy Trinity",
    "St Anne's",
    "Christ Church",
    "St Michael's",
    "St Thomas'",
    "All Saints",
    "St Andrew's",
    "St George's",
    "St Bede's",
    "Our Lady of Lourdes",
    "St Teresa's",
    "St Patrick's",
    "Sacred Heart",
    "St Chad's",
    "St Oswald's",
    "St Wilfrid's",
    "St Margaret's",
    "St Luke's",
    "St James'",
    "St Augustine's",
    "St Edmund's",
    "St Francis of Assisi",
    "Holy Family",
    "St Bernadette's",
    "St Catherine's",
)
_CHURCH = ("Church of England", "CofE", "C of E", "Catholic", "Roman Catholic", "RC")
_PLACE_STARTS = (
    "Oak", "Ash", "Elm", "Beech", "Hazel", "Holly", "Willow", "Birch", "Thorn", "Brook",
    "Mill", "Hill", "Park", "Meadow", "Green", "Long", "North", "South", "East", "West",
    "High", "New", "Fair", "Spring", "Moor", "Lark", "Heath", "Stan", "Brad", "Ather",
    "Wood", "Cole", "Bram", "Castle", "Church", "Kings", "Queens", "Lime", "Rose", "Sand",
)  # fmt: skip
_PLACE_ENDS = (
    "field", "lands", "wood", "side", "bank", "croft", "ley", "ton", "ford", "bury",
    "dale", "hurst", "brook", "mead", "gate", "holme", "way", "ridge", "lea", "view",
    "hill", "well", "moor", "stead", "wick", "thorpe", "combe", "worth", "den", "marsh",
)  # fmt: skip
_ROAD_TYPES = ("Road", "Lane", "Avenue", "Street", "Drive", "Way", "Close", "Grove", "Crescent")
_KINDS = {
    "Primary": (
        "Primary School",
        "Primary School",
        "Primary School",
        "Community Primary School",
        "Infant School",
        "Junior School",
        "Primary Academy",
        "Infant and Nursery School",
        "Junior and Infant School",
        "Primary School and Nursery",
        "Academy",
    ),
    "Secondary": (
        "High School",
        "Academy",
        "School",
        "Community School",
        "College",
        "Grammar School",
        "Secondary School",
    ),
    "Middle deemed primary": ("Middle School", "Church of England Middle School"),
    "Middle deemed secondary": ("Middle School", "Academy"),
    "All-through": ("Academy", "All-through School", "School"),
    "Nursery": ("Nursery School", "Early Years Centre", "Nursery School and Children's Centre"),
    "16 plus": ("Sixth Form College", "College", "College of Further Education"),
    "Not applicable": (
        "School",
        "Special School",
        "House School",
        "Pupil Referral Unit",
        "Preparatory School",
        "Learning Centre",
        "Independent School",
    ),
}
_TITLES = ("Mr", "Mrs", "Mrs", "Ms", "Miss", "Dr")
_FIRST_NAMES = (
    "Sarah", "Helen", "Claire", "Rachel", "Emma", "Joanne", "Karen", "Catherine", "Louise",
    "Nicola", "Amanda", "Julie", "Victoria", "Rebecca", "Anne", "Fiona", "Siobhan", "Aisha",
    "Priya", "Nadia", "David", "Paul", "Andrew", "Mark", "James", "Richard", "Stephen",
    "Michael", "Simon", "Gareth", "Imran", "Tariq", "Chinedu", "Niamh", "Zoë", "Chloé",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Hussain", "Ahmed", "O'Brien", "O’Connor",
    "McDonald", "Murphy", "Okafor", "Nowak", "Kowalski", "Fitzgerald", "Shaw", "Lloyd",
)  # fmt: skip
_DIOCESES = (
    "Manchester", "Liverpool", "Salford", "Bath and Wells", "Bristol", "Exeter", "Truro",
    "Leeds", "Lichfield", "Oxford", "London", "Southwark", "Chelmsford", "Norwich", "Durham",
)  # fmt: skip
_URBAN_RURAL = (
    ("A1", "(England/Wales) Urban major conurbation"),
    ("B1", "(England/Wales) Urban minor conurbation"),
    ("C1", "(England/Wales) Urban city and town"),
    ("D1", "(England/Wales) Rural town and fringe"),
    ("E1", "(England/Wales) Rural village"),
    ("F1", "(England/Wales) Rural hamlet and isolated dwellings"),
)
_SEN_TYPES = (
    "SEMH - Social, Emotional and Mental Health",
    "ASD - Autistic Spectrum Disorder",
    "MLD - Moderate Learning Difficulty",
    "SLD - Severe Learning Difficulty",
    "SLCN - Speech, language and Communication",
    "PMLD - Profound and Multiple Learning Difficulty",
)
_CURLY = "\u2019"
# Every 97th row carries a curly apostrophe, so even a 60-row demo file has one (row 3).
_CURLY_EVERY, _CURLY_AT = 97, 3

_FIRST_DAY, _LAST_DAY = date(1950, 1, 1).toordinal(), date(2025, 8, 31).toordinal()
_CLOSURES_FROM = date(1990, 1, 1).toordinal()


def gias_date(value: date) -> str:
    """A date as GIAS writes it: dd-mm-yyyy."""
    return f"{value.day:02d}-{value.month:02d}-{value.year}"


def local_authorities(
    la: Sequence[str | tuple[str, str]] | None = None,
) -> list[LocalAuthority]:
    """The LAs to spread rows over: all ~150 when none are given; otherwise each given code,
    or (code, name) pair, with its region looked up (an unknown code lands in the North West)."""
    if not la:
        return list(LOCAL_AUTHORITIES)
    chosen = []
    for item in la:
        code, name = (item, None) if isinstance(item, str) else item
        known = _LA_BY_CODE.get(code)
        chosen.append(
            LocalAuthority(
                code=code,
                name=name or (known.name if known else f"Local authority {code}"),
                region=known.region if known else _NW,
            )
        )
    return chosen


def _weighted(pairs: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [p for p, _ in pairs], [w for _, w in pairs]


def _place(rng: random.Random) -> str:
    return rng.choice(_PLACE_STARTS) + rng.choice(_PLACE_ENDS)


def _school_name(rng: random.Random, phase: str, la: LocalAuthority, curly: bool) -> str:
    kind = rng.choice(_KINDS[phase])
    if curly:
        saint = rng.choice([s for s in _SAINTS if "'" in s]).replace("'", _CURLY)
        church = "Church of England" if rng.random() < 0.5 else "Catholic"
        return f"{saint} {church} Primary School"
    church_phases = ("Primary", "Secondary", "Middle deemed primary", "All-through")
    if phase in church_phases and rng.random() < 0.25:
        return f"{rng.choice(_SAINTS)} {rng.choice(_CHURCH)} {kind}"
    if phase == "16 plus" and rng.random() < 0.3:
        return f"{la.name.split(',')[0]} {kind}"
    name = f"{_place(rng)} {kind}"
    return f"The {name}" if rng.random() < 0.05 else name


def _postcode(rng: random.Random, la: LocalAuthority) -> str:
    area = _POSTCODE_AREAS[la.region][int(la.code) % len(_POSTCODE_AREAS[la.region])]
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return (
        f"{area}{rng.randint(1, 40)} {rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    )


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def sample_rows(
    count: int,
    seed: int = 1,
    la: Sequence[str | tuple[str, str]] | None = None,
) -> Iterator[dict[str, str]]:
    """Yield `count` GIAS rows, each a dict from every heading in HEADINGS to its text.

    `la` limits the rows to those local authorities: codes ("352") or (code, name) pairs
    ([("352", "Manchester")]); by default they spread over ~150 English LAs. URNs are
    unique 6-digit numbers in ascending order, as in the real extract. The same
    (count, seed, la) always yields the same rows.
    """
    rng = random.Random(seed)
    authorities = local_authorities(la)
    phases, phase_weights = _weighted(_PHASES)
    statuses, status_weights = _weighted(_STATUSES)
    urns = sorted(rng.sample(range(100000, 1000000), count))
    for index, urn in enumerate(urns):
        authority = rng.choice(authorities)
        phase = rng.choices(phases, phase_weights)[0]
        status = rng.choices(statuses, status_weights)[0]
        curly = index % _CURLY_EVERY == _CURLY_AT
        if curly:
            phase = "Primary"  # the saint's name makes it a church primary school
        yield _sample_row(rng, urn, authority, phase, status, curly)


def _sample_row(
    rng: random.Random, urn: int, la: LocalAuthority, phase: str, status: str, curly: bool
) -> dict[str, str]:
    is_open = status != "Closed"
    type_name = "Voluntary aided school" if curly else rng.choice(_TYPES_BY_PHASE[phase])
    type_code, type_group, group_code = _TYPES[type_name]
    academy = type_group in ("Academies", "Free Schools")
    name = _school_name(rng, phase, la, curly)
    low, high = rng.choice(_AGES[phase])

    open_date = close_date = ""
    if status == "Proposed to open":
        open_date = gias_date(date.fromordinal(_LAST_DAY + rng.randint(1, 400)))
    elif academy or rng.random() < 0.3:
        open_date = gias_date(date.fromordinal(rng.randint(_FIRST_DAY, _LAST_DAY)))
    if status == "Closed":
        close_date = gias_date(date.fromordinal(rng.randint(_CLOSURES_FROM, _LAST_DAY)))
    elif status == "Open, but proposed to close":
        close_date = gias_date(date.fromordinal(_LAST_DAY + rng.randint(1, 300)))

    pupils = fsm = ""
    pupil_count = 0
    if is_open and status != "Proposed to open" and rng.random() < 0.95:
        pupil_count = rng.randint(*_PUPILS[phase])
        pupils = str(pupil_count)
        if type_group not in ("Independent schools", "Universities") and rng.random() < 0.9:
            fsm = f"{rng.uniform(1, 65):.1f}"

    place = _place(rng)
    centre_e, centre_n = _REGION_CENTRES[la.region]
    # Each LA sits at a fixed offset from its region's centre; its schools cluster around it.
    la_e = centre_e + (int(la.code) * 7919) % 60000 - 30000
    la_n = centre_n + (int(la.code) * 104729) % 60000 - 30000
    easting = northing = ""
    if rng.random() > 0.03:
        easting = str(min(max(la_e + rng.randint(-12000, 12000), 100000), 650000))
        northing = str(min(max(la_n + rng.randint(-12000, 12000), 10000), 1200000))

    has_head = is_open or rng.random() < 0.2
    trust = ""
    if academy:
        trust = rng.choice(
            (
                f"{place} Learning Trust",
                f"The {_place(rng)} Multi Academy Trust",
                f"{la.name.split(',')[0]} Academies Trust",
                f"{rng.choice(_SAINTS)} Catholic Academy Trust",
            )
        )
    religious = ("00", "Does not apply")
    if "Church of England" in name or "C of E" in name or "CofE" in name:
        religious = ("02", "Church of England")
    elif "Catholic" in name or " RC " in name:
        religious = ("03", "Roman Catholic")
    district = f"E0{6 + int(la.code) % 3}{int(la.code):06d}"
    la_short = la.name.split(",")[0]
    website = ""
    if is_open and rng.random() < 0.85:
        website = rng.choice(
            (
                f"http://www.{_slug(name)[:40]}.{_slug(la_short)[:20]}.sch.uk",
                f"https://www.{_slug(name)[:40]}.org.uk",
                f"www.{_slug(place)}.co.uk",
            )
        )

    row = dict.fromkeys(HEADINGS, "")
    row |= {
        "URN": str(urn),
        "LA (code)": la.code,
        "LA (name)": la.name,
        "EstablishmentNumber": str(rng.randint(1000, 7999)),
        "EstablishmentName": name,
        "TypeOfEstablishment (code)": type_code,
        "TypeOfEstablishment (name)": type_name,
        "EstablishmentTypeGroup (code)": group_code,
        "EstablishmentTypeGroup (name)": type_group,
        "EstablishmentStatus (code)": _STATUS_CODES[status],
        "EstablishmentStatus (name)": status,
        "OpenDate": open_date,
        "CloseDate": close_date,
        "PhaseOfEducation (code)": _PHASE_CODES[phase],
        "PhaseOfEducation (name)": phase,
        "StatutoryLowAge": str(low),
        "StatutoryHighAge": str(high),
        "NumberOfPupils": pupils,
        "PercentageFSM": fsm,
        "Trusts (name)": trust,
        "Street": f"{_place(rng)} {rng.choice(_ROAD_TYPES)}",
        "Town": la_short if rng.random() < 0.6 else place,
        "Postcode": _postcode(rng, la),
        "SchoolWebsite": website,
        "TelephoneNum": f"0{rng.randint(1132, 1999)}{rng.randint(100000, 999999)}"
        if is_open
        else "",
        "HeadTitle (name)": rng.choice(_TITLES) if has_head else "",
        "HeadFirstName": rng.choice(_FIRST_NAMES) if has_head else "",
        "HeadLastName": rng.choice(_LAST_NAMES) if has_head else "",
        "GOR (code)": _REGION_CODES[la.region],
        "GOR (name)": la.region,
        "Easting": easting,
        "Northing": northing,
        "UPRN": str(rng.randint(10000000, 100099999999)) if rng.random() < 0.8 else "",
    }
    row |= _filler(rng, row, is_open, academy, religious, pupil_count, district, la_short)
    return row


def _filler(
    rng: random.Random,
    row: dict[str, str],
    is_open: bool,
    academy: bool,
    religious: tuple[str, str],
    pupils: int,
    district: str,
    la_short: str,
) -> dict[str, str]:
    """The columns the portal does not read, filled as GIAS fills them (often not at all)."""
    phase = row["PhaseOfEducation (name)"]
    boys = rng.randint(pupils * 4 // 10, pupils * 6 // 10) if pupils else 0
    fsm = row["PercentageFSM"]
    opened = rng.choice(
        (("00", "Not applicable"), ("10", "Academy Converter"), ("01", "New Provision"))
    )
    closed = ("00", "Not applicable")
    if row["EstablishmentStatus (name)"] == "Closed":
        closed = rng.choice(
            (
                ("10", "Academy Converter"),
                ("01", "Closure"),
                ("02", "Result of Amalgamation"),
                ("99", "Other"),
            )
        )
    boarders = rng.choice((("1", "No boarders"),) * 8 + (("0", "Not applicable"),))
    sixth = (
        ("1", "Has a sixth form")
        if phase == "Secondary" and rng.random() < 0.5
        else ("2", "Does not have a sixth form")
    )
    gender = rng.choice((("3", "Mixed"),) * 10 + (("2", "Girls"), ("1", "Boys")))
    admissions = (
        ("2", "Selective") if "Grammar" in row["EstablishmentName"] else ("1", "Non-selective")
    )
    diocese = ("0000", "Not applicable")
    if religious[0] != "00":
        prefix = "CE" if religious[0] == "02" else "RC"
        diocese = (f"{prefix}{rng.randint(1, 40):03d}", f"Diocese of {rng.choice(_DIOCESES)}")
    urban = rng.choice(_URBAN_RURAL)
    ward_code = f"E05{rng.randint(0, 999999):06d}"
    msoa = rng.randint(1, 60)
    special = "Special" in row["TypeOfEstablishment (name)"]
    values = {
        "ReasonEstablishmentOpened (code)": opened[0],
        "ReasonEstablishmentOpened (name)": opened[1],
        "ReasonEstablishmentClosed (code)": closed[0],
        "ReasonEstablishmentClosed (name)": closed[1],
        "Boarders (code)": boarders[0],
        "Boarders (name)": boarders[1],
        "NurseryProvision (name)": rng.choice(("Has Nursery Classes", "No Nursery Classes"))
        if phase == "Primary"
        else "Not applicable",
        "OfficialSixthForm (code)": sixth[0],
        "OfficialSixthForm (name)": sixth[1],
        "Gender (code)": gender[0],
        "Gender (name)": gender[1],
        "ReligiousCharacter (code)": religious[0],
        "ReligiousCharacter (name)": religious[1],
        "ReligiousEthos (name)": religious[1],
        "Diocese (code)": diocese[0],
        "Diocese (name)": diocese[1],
        "AdmissionsPolicy (code)": admissions[0],
        "AdmissionsPolicy (name)": admissions[1],
        "SchoolCapacity": str(pupils + rng.randint(0, pupils // 5 + 10)) if pupils else "",
        "SpecialClasses (code)": "2",
        "SpecialClasses (name)": "No Special Classes",
        "CensusDate": "16-01-2025" if pupils else "",
        "NumberOfBoys": str(boys) if pupils else "",
        "NumberOfGirls": str(pupils - boys) if pupils else "",
        "TrustSchoolFlag (code)": "5" if academy else "0",
        "TrustSchoolFlag (name)": "Supported by a multi-academy trust"
        if academy
        else "Not applicable",
        "Trusts (code)": str(rng.randint(1000, 17999)) if academy else "",
        "SchoolSponsorFlag (name)": "Linked to a sponsor"
        if academy and rng.random() < 0.4
        else "Not applicable",
        "FederationFlag (name)": "Not under a federation" if is_open else "Not applicable",
        "UKPRN": str(rng.randint(10000000, 10099999)) if is_open and rng.random() < 0.8 else "",
        "FurtherEducationType (name)": "Not applicable",
        "OfstedLastInsp": gias_date(date.fromordinal(rng.randint(735000, _LAST_DAY)))
        if is_open
        else "",
        "LastChangedDate": gias_date(date.fromordinal(rng.randint(738000, _LAST_DAY))),
        "Locality": _place(rng) if rng.random() < 0.3 else "",
        "Address3": "",
        "County (name)": "" if rng.random() < 0.6 else "Not recorded",
        "HeadPreferredJobTitle": rng.choice(("Headteacher", "Head Teacher", "Principal"))
        if row["HeadLastName"]
        else "",
        "BSOInspectorateName (name)": "Not applicable",
        "TeenMoth (name)": "Not applicable",
        "CCF (name)": "Not applicable",
        "SENPRU (name)": "Not applicable",
        "EBD (name)": "Not applicable",
        "EdByOther (name)": "Not applicable",
        "Section41Approved (name)": "Not applicable",
        "SEN1 (name)": rng.choice(_SEN_TYPES) if special else "",
        "SEN2 (name)": rng.choice(_SEN_TYPES) if special and rng.random() < 0.5 else "",
        "TypeOfResourcedProvision (name)": "Not applicable",
        "DistrictAdministrative (code)": district,
        "DistrictAdministrative (name)": la_short,
        "AdministrativeWard (code)": ward_code,
        "AdministrativeWard (name)": _place(rng),
        "ParliamentaryConstituency (code)": f"E14001{rng.randint(0, 650):03d}",
        "ParliamentaryConstituency (name)": f"{la_short} "
        + rng.choice(("North", "South", "East", "West", "Central")),
        "UrbanRural (code)": urban[0],
        "UrbanRural (name)": urban[1],
        "GSSLACode (name)": district,
        "MSOA (name)": f"{la_short} {msoa:03d}",
        "LSOA (name)": f"{la_short} {msoa:03d}{rng.choice('ABCDE')}",
        "InspectorateName (name)": "Not applicable",
        "SENStat": str(rng.randint(0, max(pupils // 40, 1))) if pupils else "",
        "SENNoStat": str(rng.randint(0, max(pupils // 8, 1))) if pupils else "",
        "PreviousLA (code)": "999",
        "PreviousLA (name)": "Not applicable",
        "RSCRegion (name)": row["GOR (name)"],
        "QABName (code)": "0",
        "QABName (name)": "Not applicable",
        "EstablishmentAccredited (code)": "0",
        "EstablishmentAccredited (name)": "Not applicable",
        "CHNumber": f"{rng.randint(7000000, 14999999):08d}" if academy else "",
        "MSOA (code)": f"E02{rng.randint(0, 999999):06d}",
        "LSOA (code)": f"E01{rng.randint(0, 999999):06d}",
        "FSM": str(round(pupils * float(fsm) / 100)) if pupils and fsm else "",
        "ChildrensCentresFlag (name)": "Not applicable",
    }
    return values


def write_rows(
    path: str | Path, rows: Iterator[dict[str, str]], headings: Sequence[str] = HEADINGS
) -> Path:
    """Write rows as GIAS writes its extract: Windows-1252, every field quoted, CRLF lines.

    `headings` picks and orders the columns (a heading missing from a row is written empty),
    so tests can reorder, drop or add columns.
    """
    path = Path(path)
    with path.open("w", encoding=ENCODING, newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(headings)
        for row in rows:
            writer.writerow([row.get(heading, "") for heading in headings])
    return path


def write_sample_file(
    path: str | Path,
    rows: int = 60,
    seed: int = 1,
    la: Sequence[str | tuple[str, str]] | None = None,
) -> Path:
    """Write a sample GIAS extract of `rows` establishments to `path` and return the path.

    The file is in the real extract's format (see the module docstring) and imports with
    `manage.py import_gias PATH`. `la` limits it to those local authorities, as codes or
    (code, name) pairs, e.g. la=[("352", "Manchester"), ("353", "Oldham")]; by default
    the rows spread over ~150 English LAs. Deterministic for a given seed.
    """
    return write_rows(path, sample_rows(rows, seed=seed, la=la))
