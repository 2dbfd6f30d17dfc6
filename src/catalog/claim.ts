/** A claim from the study sheet, restated in the project's own words. */
export interface Claim {
  /** Stable id `<topic>.<subject>.<aspect>`. */
  id: string;
  topic: string;
  /** The sheet's section heading, as the sheet spells it. */
  section: string;
  en: string;
  zh: string;
}

/** Builds one topic's claims under a section heading; the topic is the id's first part. */
export function section(heading: string, claims: [id: string, en: string, zh: string][]): Claim[] {
  return claims.map(([id, en, zh]) => ({ id, topic: id.split('.')[0]!, section: heading, en, zh }));
}
