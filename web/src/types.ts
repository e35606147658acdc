// The shapes of the API's answers that the interface reads (docs/api.md,
// docs/guarantees.md). Only what the interface uses is typed; the rest
// stays unknown.
import type { LineString, MultiLineString, Point, Polygon } from 'geojson';

export type Role = 'admin' | 'analyst' | 'liaison' | 'authority' | 'secretariat' | 'viewer' | 'ingest';

export interface User {
  name: string;
  nation: string;
  clearance: string;
  roles: Role[];
  created_at?: string;
  disabled?: boolean;
}

export interface SessionInfo {
  user: User;
  csrf_token?: string;
  expires_at?: string;
}

export interface Label {
  classification: string;
  rel_to?: string[];
}

export interface Ellipse {
  semi_major_m: number;
  semi_minor_m: number;
  azimuth_deg: number;
}

export interface Located {
  position: [number, number];
  ellipse_95?: Ellipse;
  incident?: string;
}

export interface Casualties {
  killed?: number;
  wounded?: number;
  civilian?: boolean;
}

export interface Attribution {
  of?: string;
  party: string | null;
  probability?: number;
  probabilities?: Record<string, number>;
  signed_distance_m?: number;
  distance_sigma_m?: number;
  zones?: string[];
  reason?: string;
}

export interface Confidence {
  level: string;
  independent_sources?: number;
  score?: number;
}

export interface Evidence {
  id: string;
  role?: string;
  source?: string;
  grading?: string;
  time?: string;
  weapon_class?: string;
  casualties?: Casualties;
  position?: [number, number];
  ellipse_95?: Ellipse;
  /** for an acoustic event: the 95 % ellipse of the Cramér–Rao bound */
  crlb_95?: Ellipse;
  observations?: string[];
}

export interface IncidentProps {
  version: number;
  class?: 'fire' | 'equipment';
  role?: 'origin' | 'impact' | 'unknown';
  weapon_class?: string;
  casualties?: Casualties;
  start?: string;
  end?: string;
  location?: Located;
  origin?: Located | null;
  impact?: Located | null;
  linked?: string;
  attribution?: Attribution & { zone_probabilities?: Record<string, number> };
  confidence?: Confidence;
  releasability?: Label;
  terms?: { id: string; version: string };
  evidence?: Evidence[];
  observations?: string[];
  merged_into?: string;
}

export interface Incident {
  type: 'Feature';
  id: string;
  geometry: Polygon | null;
  properties: IncidentProps;
}

export interface Page<F> {
  type: 'FeatureCollection';
  features: F[];
  numberReturned: number;
  next?: string;
}

export type Severity = 'minor' | 'serious' | 'major';
export type CandidateState = 'open' | 'more_information' | 'second_review' | 'verified' | 'rejected' | 'merged' | 'split';

export interface CandidateProps {
  violation_type: string;
  rule: string;
  clause?: string;
  party: string | null;
  probability?: number;
  severity: Severity;
  incident?: string;
  incident_version?: number;
  time: string;
  weapon_class?: string;
  distance_m?: number;
  withdrawal_m?: number;
  depth_m?: number;
  casualties?: Casualties;
  confidence?: Confidence;
  releasability?: Label;
  observations?: string[];
  reason?: string;
  state: CandidateState;
  withdrawn?: boolean;
  split_from?: string;
}

export interface Candidate {
  type: 'Feature';
  id: string;
  geometry: Point | null;
  properties: CandidateProps;
}

export interface Confirmation {
  analyst: string;
  nation: string;
  at: string;
}

export type ActionKind = 'confirm' | 'reject' | 'request_information' | 'reopen' | 'merge' | 'split';

export interface CandidateAction {
  id?: string;
  n?: number;
  candidate: string;
  kind: ActionKind;
  analyst: string;
  nation: string;
  at: string;
  reason: string;
  leaf?: number;
  target?: string;
  /** for a split: the ids of the candidates it made */
  parts?: string[];
}

export interface Review {
  candidate: string;
  state: CandidateState;
  confirmations: Confirmation[];
  needed?: string;
  merged_into?: string;
  split_into?: string[];
  actions: CandidateAction[];
}

export interface ActionAnswer {
  action: CandidateAction;
  review: Review;
}

export interface Determination {
  confirm: boolean;
  by: string;
  nation?: string;
  reason: string;
  at: string;
}

export interface Activation {
  id: string;
  clause: string;
  instrument?: string;
  state: 'proposed' | 'confirmed' | 'declined';
  proposed_at: string;
  findings: string[];
  hidden_findings: number;
  determination?: Determination;
  obligations?: { total: number; met: number; open: number; overdue: number };
}

export interface ObligationStep {
  kind: string;
  by: string;
  nation?: string;
  note?: string;
  at: string;
  step?: string;
}

export type ObligationState = 'open' | 'acknowledged' | 'met';

export interface Obligation {
  id: string;
  activation: string;
  clause: string;
  instrument?: string;
  guarantor: string;
  type: string;
  responsible: string;
  created: string;
  deadline: string;
  state: ObligationState;
  escalation: number;
  history: ObligationStep[] | null;
  overdue: boolean;
  remaining_s: number;
}

export interface Party {
  code: string;
  name: string;
  side?: string;
}

export interface TermsVersion {
  seq: number;
  loaded_at: string;
  in_force: boolean;
  terms: {
    id: string;
    version: string;
    title?: string;
    illustrative?: boolean;
    effective_from?: string;
    parties?: Party[];
    contact_line?: LineString | MultiLineString;
    buffer_zone?: { half_width_m: number };
    weapon_classes?: { code: string; name: string; withdrawal_m: number }[];
    clauses?: { id: string; title?: string; text?: string; forbids?: string[] }[];
    /** the agreement's own rules, each finding candidates of its type */
    rules?: { id: string; clause: string; type: string; severity: Severity; description?: string }[];
  };
}

export interface ObservationProps {
  kind: 'report' | 'acoustic' | 'track' | 'imagery' | 'osint';
  source: { id: string; type: string; grading: string };
  observed_at: string;
  time_uncertainty_s: number;
  location_uncertainty_m: number;
  releasability: Label;
  report?: { means?: string; event_type?: string; count?: number; count_approximate?: boolean; weapon_class?: string; text?: string; casualties?: Casualties };
  acoustic?: { sensor_id?: string; signal_class?: string; bearing_deg?: number };
  track?: { track_id?: string; platform?: string; speed_mps?: number; heading_deg?: number; altitude_m?: number };
  imagery?: { equipment_type?: string; weapon_class?: string; count?: number; image_id?: string };
  osint?: { claim?: string; url?: string; published_at?: string; casualties?: Casualties };
}

export interface Observation {
  type: 'Feature';
  id: string;
  geometry: Point;
  properties: ObservationProps;
}

/** An incident as GET /api/v1/incidents/{id} answers it: with the observations it rests on. */
export interface IncidentDetail extends Incident {
  observations?: { type: 'FeatureCollection'; features: Observation[] };
}

export interface RestrictionProps {
  time: string;
  checkpoint?: string;
  party?: string;
  outcome: 'denied' | 'delayed';
  delay_s: number;
  reason?: string;
  patrol_size: number;
  notes?: string;
  releasability: Label;
}

export interface Restriction {
  type: 'Feature';
  id: string;
  geometry: Point;
  properties: RestrictionProps;
}

/** A figure of the daily report, with its verification state and the change from the day before. */
export interface ReportFigure {
  code?: string;
  name?: string;
  total: number;
  verified: number;
  unverified: number;
  previous: number;
  change: number;
}

export interface ReportViolation {
  id: string;
  time: string;
  type: string;
  type_name: string;
  clause?: string;
  severity: Severity;
  state: CandidateState;
  party: string;
  party_name: string;
  region: string;
  region_name: string;
  incident?: string;
  lon: number;
  lat: number;
  reason: string;
  weapon_class?: string;
  weapon_name?: string;
  distance_km?: number;
  withdrawal_km?: number;
}

export interface ReportRestriction {
  id: string;
  time: string;
  party: string;
  party_name: string;
  checkpoint?: string;
  reason?: string;
  patrol_size: number;
  denied: boolean;
  delay_s: number;
  region_name: string;
  lon: number;
  lat: number;
}

export interface ReportMarkers {
  aggregated: boolean;
  markers: { lon: number; lat: number; kind: string; count: number; id?: string }[];
}

export interface DailyReport {
  date: string;
  from: string;
  to: string;
  public: boolean;
  generated: string;
  terms_id?: string;
  terms_version?: string;
  terms_title?: string;
  terms_illustrative?: boolean;
  label: Label;
  restricted?: boolean;
  summary: string;
  violations: ReportFigure;
  rejected?: number;
  states: { state: CandidateState; count: number }[];
  by_type: ReportFigure[];
  by_region: ReportFigure[];
  by_party: ReportFigure[];
  weapons: { by_class: ReportFigure[]; list: ReportViolation[] };
  notable: ReportViolation[];
  restrictions: {
    total: number;
    denied: number;
    delayed: number;
    previous: number;
    change: number;
    by_party: { code: string; name: string; total: number; denied: number; delayed: number; previous: number; change: number }[];
    list: ReportRestriction[];
  };
  incidents: { total: number; previous: number; change: number; by_class: { class: string; total: number; previous: number; change: number }[] };
  map?: {
    bbox: [number, number, number, number];
    contact_lines: [number, number][][];
    regions?: { name?: string; code?: string; polygon?: [number, number][][] }[];
    violations?: ReportMarkers;
    restrictions?: ReportMarkers;
    incidents?: ReportMarkers;
  };
}

/** A row of GET /api/v1/analytics/commitments. */
export interface TotalsRow {
  key: string;
  name: string;
  measure: string;
  committed: number;
  allocated: number;
  delivered: number;
  gap: number;
  delivered_share: number;
  commitments: number;
}

/** A point of GET /api/v1/analytics/commitments/series. */
export interface SeriesPoint {
  key: string;
  name: string;
  measure: string;
  month: string;
  committed: number;
  delivered: number;
  gap: number;
}

/** A delivery of a commitment (docs/registry-formats.md): what arrived, in the commitment's measure. */
export interface Delivery {
  date: string;
  amount: number;
  note?: string;
}

/** A commitment as GET /api/v1/commitments lists it. */
export interface Commitment {
  id: string;
  instrument: string;
  guarantor: string;
  category: string;
  description?: string;
  quantity?: number;
  unit?: string;
  value?: number;
  currency?: string;
  committed: number;
  allocated: number;
  deliveries?: Delivery[];
  illustrative?: boolean;
}

/** A commitment as GET /api/v1/commitments/{id} and POST …/deliveries answer it: with its delivered total, measure and inconsistencies. */
export interface CommitmentDetail extends Commitment {
  delivered: number;
  measure: string;
  inconsistencies: string[];
}
