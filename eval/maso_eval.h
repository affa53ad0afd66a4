/*
 * maso_eval.h -- libmaso_eval, the building blocks of maso-eval: the
 * statistics of perceptual benchmarks, readers for their files, classic
 * image metrics, graded distortions and the metric interface.  It follows
 * the conventions of maso.h (status codes, ownership, no printing, no
 * global mutable state).
 */
#ifndef MASO_EVAL_H
#define MASO_EVAL_H

#include "maso.h"

#include "csv.h"     /* scored pair lists */
#include "dhash.h"   /* difference hash */
#include "fit.h"     /* non-negative weight fits */
#include "distort.h" /* graded synthetic distortions */
#include "metric.h"  /* the metric interface and built-in metrics */
#include "npy.h"     /* NumPy .npy vectors */
#include "psnr.h"    /* MSE and PSNR */
#include "ssim.h"    /* SSIM */
#include "stats.h"   /* SRCC, KRCC, PLCC, 2AFC, JND mAP */

#endif /* MASO_EVAL_H */
