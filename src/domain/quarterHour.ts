/**
 * A quarter of an hour, in ms. Every offset a time zone uses today is a whole number of
 * quarters, so no UTC quarter straddles a local midnight in any zone: places counted per
 * quarter can be told apart per local day (the live window's far places, their occupancy).
 */
export const QUARTER_HOUR_MS = 900_000;
