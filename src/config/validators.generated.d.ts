import type { ValidateFunction } from "ajv";

export declare const project: ValidateFunction;
export declare const template: ValidateFunction;
export declare const source: ValidateFunction;
export declare const segment: ValidateFunction;
export declare const campaign: ValidateFunction;
