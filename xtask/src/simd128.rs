//! The site's simd128 module, made from trunk's relaxed one (modules.rs): every relaxed SIMD
//! instruction in it replaced by plain SIMD that computes one of the results the relaxed SIMD
//! proposal allows it. `f32x4.relaxed_madd` may round once (fused) or twice, so a multiply and
//! an add compute it; `relaxed_min` and `_max` (f32x4 and f64x2) may give either operand where
//! one is NaN or both are zeros, so `min` and `max` compute them. The lab's kernels ask for nothing else
//! (lab-core's kernels.rs, `mul_add`; LLVM picks the relaxed min and max for comparisons in the
//! functions compiled for relaxed SIMD); any other relaxed instruction is left as it is, and the
//! check that the result validates without relaxed SIMD then refuses the build.
//!
//! Before, the simd128 module was a second fat-LTO build of the same crate without the feature
//! (its cargo, wasm-bindgen and wasm-opt, about 16 minutes of one core on the 2-core machine),
//! which took CI's cold run past its 90 minutes.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{CodeSection, Function, Instruction, ValType};
use wasmparser::{
    CompositeInnerType, FunctionBody, Operator, Parser, Payload, Validator, WasmFeatures,
};

use crate::Result;

/// `relaxed` (a whole module) with its relaxed SIMD instructions lowered; refuses a result that a
/// browser without relaxed SIMD would not validate. Answers the module and how many functions
/// it lowered.
pub fn without_relaxed_simd(relaxed: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut lowering = Lowering {
        params: defined_functions_params(relaxed)?,
        next_body: 0,
        lowered: 0,
    };
    let mut module = wasm_encoder::Module::new();
    lowering
        .parse_core_module(&mut module, Parser::new(0), relaxed)
        .map_err(|e| format!("cannot lower the relaxed module: {}", describe(&e)))?;
    let plain = module.finish();
    Validator::new_with_features(without_relaxed_features())
        .validate_all(&plain)
        .map_err(|e| format!("the simd128 module still needs relaxed SIMD: {e}"))?;
    Ok((plain, lowering.lowered))
}

/// What a browser without relaxed SIMD validates: wasmparser's defaults less that proposal.
fn without_relaxed_features() -> WasmFeatures {
    let mut features = WasmFeatures::default();
    features.remove(WasmFeatures::RELAXED_SIMD);
    features
}

fn describe(error: &reencode::Error<String>) -> String {
    match error {
        reencode::Error::ParseError(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// The parameter count of each function the module defines (its function section's order,
/// which is its code section's): a body's new local comes after its parameters and locals.
fn defined_functions_params(wasm: &[u8]) -> Result<Vec<u32>> {
    let mut types = Vec::new();
    let mut params = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| format!("cannot read the relaxed module: {e}"))? {
            Payload::TypeSection(section) => {
                for group in section {
                    let group = group.map_err(|e| format!("a bad type: {e}"))?;
                    types.extend(group.into_types().map(|ty| match &ty.composite_type.inner {
                        CompositeInnerType::Func(func) => func.params().len() as u32,
                        _ => 0,
                    }));
                }
            }
            Payload::FunctionSection(section) => {
                for ty in section {
                    let ty = ty.map_err(|e| format!("a bad function: {e}"))?;
                    params.push(
                        *types.get(ty as usize).ok_or_else(|| {
                            format!("a function of type {ty}, which is not there")
                        })?,
                    );
                }
            }
            _ => {}
        }
    }
    Ok(params)
}

/// Copies every function body as it is but those with a relaxed instruction, which it encodes
/// again with their plain forms.
struct Lowering {
    params: Vec<u32>,
    next_body: usize,
    lowered: usize,
}

impl Reencode for Lowering {
    type Error = String;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        body: FunctionBody<'_>,
    ) -> std::result::Result<(), reencode::Error<String>> {
        let params = *self
            .params
            .get(self.next_body)
            .ok_or_else(|| reencode::Error::UserError("more bodies than functions".to_string()))?;
        self.next_body += 1;
        if !has_lowered_instruction(&body)? {
            code.raw(body.as_bytes());
            return Ok(());
        }
        self.lowered += 1;
        let mut locals = Vec::new();
        let mut scratch = params;
        for pair in body.get_locals_reader()? {
            let (count, ty) = pair?;
            scratch += count;
            locals.push((count, self.val_type(ty)?));
        }
        // Where relaxed_madd's addend waits while the other two are multiplied.
        locals.push((1, ValType::V128));
        let mut function = Function::new(locals);
        let mut operators = body.get_operators_reader()?;
        while !operators.eof() {
            match operators.read()? {
                Operator::F32x4RelaxedMadd => {
                    function
                        .instruction(&Instruction::LocalSet(scratch))
                        .instruction(&Instruction::F32x4Mul)
                        .instruction(&Instruction::LocalGet(scratch))
                        .instruction(&Instruction::F32x4Add);
                }
                Operator::F32x4RelaxedMin => {
                    function.instruction(&Instruction::F32x4Min);
                }
                Operator::F32x4RelaxedMax => {
                    function.instruction(&Instruction::F32x4Max);
                }
                Operator::F64x2RelaxedMin => {
                    function.instruction(&Instruction::F64x2Min);
                }
                Operator::F64x2RelaxedMax => {
                    function.instruction(&Instruction::F64x2Max);
                }
                operator => {
                    function.instruction(&self.instruction(operator)?);
                }
            }
        }
        code.function(&function);
        Ok(())
    }
}

fn has_lowered_instruction(
    body: &FunctionBody<'_>,
) -> std::result::Result<bool, wasmparser::Error> {
    let mut operators = body.get_operators_reader()?;
    while !operators.eof() {
        if matches!(
            operators.read()?,
            Operator::F32x4RelaxedMadd
                | Operator::F32x4RelaxedMin
                | Operator::F32x4RelaxedMax
                | Operator::F64x2RelaxedMin
                | Operator::F64x2RelaxedMax
        ) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{FunctionSection, Module, TypeSection};

    /// One function: its parameters, its result, its declared locals and its body.
    type Func<'a> = (
        &'a [ValType],
        ValType,
        &'a [(u32, ValType)],
        &'a [Instruction<'a>],
    );

    /// A module of `functions`, each of a type of its own.
    fn module(functions: &[Func<'_>]) -> Vec<u8> {
        let mut types = TypeSection::new();
        let mut section = FunctionSection::new();
        let mut code = CodeSection::new();
        for (index, (params, result, locals, body)) in functions.iter().enumerate() {
            types.ty().function(params.iter().copied(), [*result]);
            section.function(index as u32);
            let mut function = Function::new(locals.iter().copied());
            for instruction in *body {
                function.instruction(instruction);
            }
            code.function(&function);
        }
        let mut module = Module::new();
        module.section(&types).section(&section).section(&code);
        module.finish()
    }

    fn bodies(wasm: &[u8]) -> Vec<Vec<Operator<'_>>> {
        let mut bodies = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            if let Payload::CodeSectionEntry(body) = payload.unwrap() {
                let mut operators = body.get_operators_reader().unwrap();
                let mut ops = Vec::new();
                while !operators.eof() {
                    ops.push(operators.read().unwrap());
                }
                bodies.push(ops);
            }
        }
        bodies
    }

    #[test]
    fn lowers_relaxed_madd_min_and_max_into_a_module_that_validates_without_relaxed_simd() {
        // The first function has no relaxed instruction; the second, `(a, b, c) -> v128` with
        // one v128 local, computes `max(min(relaxed_madd(a, b, c), a), b)` through that local.
        let relaxed = module(&[
            (
                &[],
                ValType::I32,
                &[],
                &[Instruction::I32Const(7), Instruction::End],
            ),
            (
                &[ValType::V128; 3],
                ValType::V128,
                &[(1, ValType::V128)],
                &[
                    Instruction::LocalGet(0),
                    Instruction::LocalGet(1),
                    Instruction::LocalGet(2),
                    Instruction::F32x4RelaxedMadd,
                    Instruction::LocalTee(3),
                    Instruction::LocalGet(0),
                    Instruction::F32x4RelaxedMin,
                    Instruction::LocalGet(1),
                    Instruction::F32x4RelaxedMax,
                    Instruction::End,
                ],
            ),
        ]);
        assert!(
            Validator::new_with_features(without_relaxed_features())
                .validate_all(&relaxed)
                .is_err()
        );

        let (plain, lowered) = without_relaxed_simd(&relaxed).unwrap();
        assert_eq!(lowered, 1);
        let (before, after) = (bodies(&relaxed), bodies(&plain));
        assert_eq!(after[0], before[0], "a body without relaxed SIMD is copied");
        // The new local comes after the three parameters and the declared one: index 4.
        assert_eq!(
            after[1],
            [
                Operator::LocalGet { local_index: 0 },
                Operator::LocalGet { local_index: 1 },
                Operator::LocalGet { local_index: 2 },
                Operator::LocalSet { local_index: 4 },
                Operator::F32x4Mul,
                Operator::LocalGet { local_index: 4 },
                Operator::F32x4Add,
                Operator::LocalTee { local_index: 3 },
                Operator::LocalGet { local_index: 0 },
                Operator::F32x4Min,
                Operator::LocalGet { local_index: 1 },
                Operator::F32x4Max,
                Operator::End,
            ]
        );
    }

    #[test]
    fn refuses_a_relaxed_instruction_it_has_no_plain_form_for() {
        let swizzle = module(&[(
            &[ValType::V128; 2],
            ValType::V128,
            &[],
            &[
                Instruction::LocalGet(0),
                Instruction::LocalGet(1),
                Instruction::I8x16RelaxedSwizzle,
                Instruction::End,
            ],
        )]);
        let error = without_relaxed_simd(&swizzle).unwrap_err();
        assert!(error.contains("still needs relaxed SIMD"), "{error}");
    }
}
